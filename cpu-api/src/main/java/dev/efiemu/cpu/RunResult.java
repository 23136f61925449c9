package dev.efiemu.cpu;

/**
 * Why {@link Cpu#run} returned.
 *
 * @param kind    the cause
 * @param pc      the program counter after the stop (for faults, the engine's view, which may be the
 *                start of the translation block rather than the faulting instruction)
 * @param address for memory faults the guest address whose access failed, when the engine knows it; else -1
 * @param detail  the engine's message for faults, else null
 */
public record RunResult(Kind kind, long pc, long address, String detail) {
    public enum Kind {
        /** {@link Cpu#stop} was called (normally from a hook). */
        STOPPED,
        /** Execution reached the {@code until} address. */
        UNTIL,
        /** The guest read/wrote/fetched unmapped or protected memory. */
        MEMORY_FAULT,
        /** The guest executed an undecodable or unsupported instruction. */
        INVALID_INSTRUCTION,
        /** Any other engine error (unhandled CPU exception...). */
        ENGINE_ERROR
    }

    public boolean isFault() {
        return kind == Kind.MEMORY_FAULT || kind == Kind.INVALID_INSTRUCTION || kind == Kind.ENGINE_ERROR;
    }
}
