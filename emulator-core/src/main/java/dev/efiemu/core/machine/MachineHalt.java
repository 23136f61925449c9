package dev.efiemu.core.machine;

import dev.efiemu.core.trap.NoReturn;

/** Thrown by a service that ends the whole run (ExitBootServices, ResetSystem, a fault): unwinds every guest frame. */
public final class MachineHalt extends NoReturn {
    private final RunOutcome outcome;

    public MachineHalt(RunOutcome outcome) {
        super(outcome.message());
        this.outcome = outcome;
    }

    public RunOutcome outcome() {
        return outcome;
    }
}
