package dev.efiemu.core;

/** Thrown by a service that ends the whole run (ExitBootServices, ResetSystem, a fault): unwinds every guest frame. */
public final class MachineHalt extends RuntimeException {
    private final RunOutcome outcome;

    public MachineHalt(RunOutcome outcome) {
        super(outcome.message(), null, false, false);
        this.outcome = outcome;
    }

    public RunOutcome outcome() {
        return outcome;
    }
}
