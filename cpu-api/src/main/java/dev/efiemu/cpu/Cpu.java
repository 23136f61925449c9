package dev.efiemu.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One emulated CPU with its physical memory. Addresses are guest-physical; the engine is set up so
 * that virtual equals physical (UEFI runs identity-mapped, UEFI spec §2.3.4 / §2.3.6).
 *
 * <p>This is the only view of the engine the firmware model has: nothing above this API knows
 * which engine implements it (unidbg's Backend idea), so a faster one can slot in later as another
 * {@link CpuEngine} ({@link Cpus} picks one).
 */
public interface Cpu extends AutoCloseable {

    /** An {@code until} address no guest ever reaches: run until a hook stops or the guest faults. */
    long FOREVER = -1L;

    Arch arch();

    EngineInfo engine();

    // ---- memory -------------------------------------------------------------------------------

    /** Maps {@code size} bytes (page multiple) of zeroed memory at {@code address}. */
    void map(long address, long size, int perms);

    void unmap(long address, long size);

    void protect(long address, long size, int perms);

    void read(long address, byte[] dst, int offset, int length);

    void write(long address, byte[] src, int offset, int length);

    default byte[] read(long address, int length) {
        byte[] b = new byte[length];
        read(address, b, 0, length);
        return b;
    }

    default void write(long address, byte[] src) {
        write(address, src, 0, src.length);
    }

    default long readU64(long address) {
        return ByteBuffer.wrap(read(address, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    default int readU32(long address) {
        return ByteBuffer.wrap(read(address, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    default void writeU64(long address, long value) {
        write(address, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    default void writeU32(long address, int value) {
        write(address, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }

    // ---- registers ----------------------------------------------------------------------------

    long reg(Reg reg);

    void reg(Reg reg, long value);

    /** x86 model-specific register (e.g. EFER = 0xC0000080). */
    long msr(int index);

    void msr(int index, long value);

    /** Sets x86 GDTR or IDTR ({@code table} is "GDTR" or "IDTR"). */
    void descriptorTable(String table, long base, int limit);

    long[] descriptorTable(String table);

    // ---- hooks --------------------------------------------------------------------------------

    /** Calls {@code hook} before each instruction in [begin, end] (inclusive). Keep ranges small. */
    Hook onCode(long begin, long end, CpuHooks.Code hook);

    /**
     * Traps entry into [begin, end] (inclusive): before the guest executes an instruction there,
     * {@code hook} is called with its address and is expected to call {@link #stop}; the run then
     * returns {@link RunResult.Kind#STOPPED} with the program counter at that address. For firmware
     * service stubs, which the guest only ever enters at their first byte.
     *
     * <p>The default is {@link #onCode} over the range. An engine may do better: Unicorn makes the
     * range's pages non-executable while no debugger hook or instruction count is in place and traps
     * the fetch, which costs the guest nothing while it runs elsewhere and lets the engine drop its
     * exit checks after every memory access; there the hook runs after the engine has stopped, and an
     * entry whose hook does not stop ends the run as a {@link RunResult.Kind#MEMORY_FAULT} at that
     * address instead of executing it.
     */
    default Hook onEntry(long begin, long end, CpuHooks.Code hook) {
        return onCode(begin, end, hook);
    }

    Hook onInterrupt(CpuHooks.Interrupt hook);

    Hook onInvalidInstruction(CpuHooks.InvalidInstruction hook);

    /** x86 only. */
    Hook onCpuid(CpuHooks.Cpuid hook);

    /**
     * x86 only: answers RDTSC and RDTSCP, so runs are reproducible. Returns null when the engine
     * cannot hook them (Unicorn before 2.1): the guest then reads the host's counter.
     */
    Hook onRdtsc(CpuHooks.Tsc hook);

    /** x86 only. */
    Hook onPortIn(CpuHooks.PortIn hook);

    /** x86 only. */
    Hook onPortOut(CpuHooks.PortOut hook);

    /** Watches data accesses in [begin, end]. Disables the engine's fast store path while installed. */
    Hook onMemoryAccess(long begin, long end, boolean reads, boolean writes, CpuHooks.MemoryAccess hook);

    // ---- execution ----------------------------------------------------------------------------

    /**
     * Runs from {@code begin} until {@code until} is reached, a hook calls {@link #stop}, or the
     * guest faults. Never pass an instruction count: the engine runs unbounded (counting checks
     * before every instruction, which slows the engine down); budgets are enforced by the caller.
     *
     * @throws RuntimeException whatever a hook threw, after the engine has stopped
     */
    RunResult run(long begin, long until);

    /**
     * Like {@link #run} but ends after at most {@code count} instructions (count &gt; 0). For debuggers only
     * (single-step, watchpoints): counting checks before every instruction, which slows this run down, and
     * makes every stop precise: one requested from a memory hook takes effect before the next instruction.
     * The next plain {@link #run} drops the counting again. Returns {@link RunResult.Kind#UNTIL} when the
     * count ran out.
     */
    default RunResult run(long begin, long until, long count) {
        throw new UnsupportedOperationException("counted runs are not supported by " + engine());
    }

    /** Asks the engine to stop; from a hook, it stops before the hooked instruction executes. */
    void stop();

    /** Drops cached translations (after the host patched guest code behind the engine's back). */
    void flushTranslations();

    /**
     * Prepares the engine for memory-heavy guest code (grows the software TLB, see docs/architecture.md).
     * Uses a scratch page of code at {@code codePage} and reads {@code pages} 4 KiB pages (the engine's own page size) from
     * {@code dataBase}. Registers are preserved. A no-op on engines without the need.
     */
    void warmUp(long codePage, long dataBase, int pages);

    @Override
    void close();
}
