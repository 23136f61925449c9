package dev.efiemu.core.trap;

/**
 * A firmware call that cannot be answered with a status: the guest gave the service memory that is
 * not there (or its own stubs as an output buffer), or the service itself failed (an efiemu bug).
 * The run loop turns it into a fault report; it never leaves {@link dev.efiemu.core.machine.Machine#run}.
 */
public final class ServiceFault extends RuntimeException {
    private final boolean hostError;

    ServiceFault(String message, Throwable cause, boolean hostError) {
        super(message, cause, false, false);
        this.hostError = hostError;
    }

    /** True when efiemu itself failed (a bug to fix), false when the guest's arguments were bad. */
    public boolean hostError() {
        return hostError;
    }
}
