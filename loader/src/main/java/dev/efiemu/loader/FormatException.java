package dev.efiemu.loader;

/**
 * A file does not have the format a parser expects. The message is one line that names the
 * problem and, where one applies, the file offset; {@link #withSource} prefixes a file name.
 */
public class FormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The same problem, with "source: " in front of the message (for messages naming a file). */
    public FormatException withSource(String source) {
        FormatException e = new FormatException(source + ": " + getMessage(), this);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
