package dev.efiemu.core.machine;

import dev.efiemu.core.efi.Status;

/**
 * How a run ended.
 *
 * @param kind     the ending
 * @param status   the payload's status (RETURNED), the reset status (RESET), else 0
 * @param handoff  the machine state at ExitBootServices (EXIT_BOOT_SERVICES), else null
 * @param fault    what went wrong (FAULT, BUDGET), else null
 * @param message  one line for the user
 */
public record RunOutcome(Kind kind, long status, HandoffState handoff, FaultReport fault, String message) {
    public enum Kind {
        RETURNED, EXIT_BOOT_SERVICES, RESET, FAULT, BUDGET,
        /** The payload kept polling for input that no one will ever give (script it with --keys). */
        WAITING_FOR_INPUT
    }

    public boolean success() {
        return switch (kind) {
            case EXIT_BOOT_SERVICES -> true;
            case RETURNED, RESET -> !Status.isError(status);
            default -> false;
        };
    }
}
