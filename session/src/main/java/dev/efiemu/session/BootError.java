package dev.efiemu.session;

/**
 * A problem with what the user asked for (a missing file, a bad option value, a refused kexec):
 * one line that names the file or setting and the problem. Front ends print it and exit non-zero;
 * nothing has been written or loaded when it is thrown.
 */
public class BootError extends RuntimeException {
    public BootError(String message) {
        super(message);
    }
}
