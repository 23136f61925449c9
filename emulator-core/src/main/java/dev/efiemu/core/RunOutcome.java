package dev.efiemu.core;

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
    public enum Kind { RETURNED, EXIT_BOOT_SERVICES, RESET, FAULT, BUDGET }

    public boolean success() {
        return switch (kind) {
            case EXIT_BOOT_SERVICES -> true;
            case RETURNED, RESET -> !Status.isError(status);
            default -> false;
        };
    }
}
