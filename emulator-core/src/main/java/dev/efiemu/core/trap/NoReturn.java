package dev.efiemu.core.trap;

/**
 * Thrown by a handler whose call does not return to the guest: ExitBootServices, ResetSystem and
 * faults end the run, Exit unwinds to its StartImage. The dispatcher records the call (with the
 * message) and lets the exception through; no stack trace is taken.
 */
public abstract class NoReturn extends RuntimeException {
    protected NoReturn(String message) {
        super(message, null, false, false);
    }
}
