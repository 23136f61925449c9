package dev.efiemu.loader.pe;

import dev.efiemu.loader.FormatException;

/** A PE/COFF image is malformed or unsupported; the message is one line naming problem and offset. */
public class PeFormatException extends FormatException {
    private static final long serialVersionUID = 1L;

    public PeFormatException(String message) {
        super(message);
    }

    public PeFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public PeFormatException withSource(String source) {
        PeFormatException e = new PeFormatException(source + ": " + getMessage(), this);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
