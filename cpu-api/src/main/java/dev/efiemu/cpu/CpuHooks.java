package dev.efiemu.cpu;

/**
 * Callback shapes. Hooks run on the emulation thread inside {@link Cpu#run}; an exception thrown
 * from one stops the run and is rethrown by {@code run} (the engine never sees it).
 */
public final class CpuHooks {
    private CpuHooks() {}

    /** Called before the instruction at {@code address} executes. */
    @FunctionalInterface
    public interface Code {
        void onCode(Cpu cpu, long address, int size);
    }

    /** A CPU exception or software interrupt (x86 vector number; aarch64 Unicorn exception index). */
    @FunctionalInterface
    public interface Interrupt {
        void onInterrupt(Cpu cpu, int number);
    }

    /** An undecodable instruction. Return true when the hook fixed things up and execution may go on. */
    @FunctionalInterface
    public interface InvalidInstruction {
        boolean onInvalidInstruction(Cpu cpu);
    }

    /** x86 CPUID: read RAX/RCX, write RAX..RDX. Return true when registers were set (the instruction is skipped). */
    @FunctionalInterface
    public interface Cpuid {
        boolean onCpuid(Cpu cpu);
    }

    /** x86 RDTSC/RDTSCP: the time-stamp counter value the guest reads. */
    @FunctionalInterface
    public interface Tsc {
        long onRdtsc(Cpu cpu);
    }

    /** x86 IN: return the value read from {@code port}. */
    @FunctionalInterface
    public interface PortIn {
        int onIn(Cpu cpu, int port, int size);
    }

    /** x86 OUT. */
    @FunctionalInterface
    public interface PortOut {
        void onOut(Cpu cpu, int port, int size, int value);
    }

    /** A data access inside a watched range. Used by the debugger only: any such hook slows the engine. */
    @FunctionalInterface
    public interface MemoryAccess {
        void onAccess(Cpu cpu, boolean write, long address, int size, long value);
    }
}
