package dev.efiemu.engine.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.CpuException;
import dev.efiemu.cpu.CpuHooks;
import dev.efiemu.cpu.EngineInfo;
import dev.efiemu.cpu.Hook;
import dev.efiemu.cpu.Reg;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Cpu} on Unicorn 2. Set up for speed as measured (docs/architecture.md, bench/engine.sh,
 * bench/kernel-ebs.sh): on 2.1.2+ the virtual TLB with an identity fill hook (execute granted on
 * fetch fills only, never on {@link #onEntry} pages), no memory read/write hooks and no global fault
 * hooks, {@code count = 0}, a grown TLB, and on the pinned 2.1.4 build no exit check after every
 * memory access while no code or memory hook needs one ({@link ExitChecks}). Callbacks never let a
 * Java exception reach the engine: they stop it and {@link #run} rethrows.
 */
public final class UnicornCpu implements Cpu {
    private final Arch arch;
    private final EngineInfo engine;
    private Pointer uc;
    private final Memory regBuf = new Memory(32);
    /** Strong references: JNA callbacks must outlive their registration. */
    private final List<Callback> callbacks = new ArrayList<>();
    private Throwable pending;
    private boolean stopRequested;
    /** The last run counted instructions (see {@link #run(long, long, long)}). */
    private boolean counting;
    /** The last page the engine asked us to translate; a memory fault almost always concerns it. */
    private long lastFill = -1;
    private long untilPage = -1;
    /** Slow engine only: the address a fault hook saw. */
    private long lastInvalid = -1;
    /**
     * An {@link #onEntry} trap. In the fast mode its pages are kept non-executable by the TLB fill
     * hook; otherwise it is a code hook ({@code codeHook}), as every trap was before.
     */
    private static final class Entry {
        final long begin;
        final long end;
        final CpuHooks.Code hook;
        Hook codeHook;

        Entry(long begin, long end, CpuHooks.Code hook) {
            this.begin = begin;
            this.end = end;
            this.hook = hook;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    /** The page whose fetch the fill hook refused in this run (an entry trap), or -1. */
    private long deniedFetch = -1;
    /** Code and memory hooks installed: each needs Unicorn's exit check right after its call-out. */
    private int preciseHooks;
    /** The pinned library lets us drop the per-access exit checks ({@link ExitChecks}). */
    private final boolean exitChecksUsable;
    /**
     * The fast mode: {@code uc->no_exit_request} set (translations made since have no exit checks)
     * and entry traps by execute protection. Only while no code hook, memory hook or count needs the
     * checks; otherwise the engine runs exactly as without this (checks on, entry traps as code hooks).
     */
    private boolean fastMode;

    public UnicornCpu(Arch arch) {
        this.engine = UnicornLibrary.load();
        this.arch = arch;
        PointerByReference ref = new PointerByReference();
        check(arch == Arch.X86_64 ? Uc.uc_open(Uc.ARCH_X86, Uc.MODE_64, ref) : Uc.uc_open(Uc.ARCH_ARM64, Uc.MODE_ARM, ref),
                "uc_open");
        uc = ref.getValue();
        exitChecksUsable = engine.fast() && ExitChecks.usable(arch);
        if (engine.fast()) {
            configureVirtualTlb();
        } else {
            // The slow engine has no inline store path to lose: a fault hook costs nothing more
            // and tells us the faulting address.
            Uc.MemCb invalid = (u, type, address, size, value, user) -> {
                lastInvalid = address;
                return false;
            };
            addHook(Uc.HOOK_MEM_READ_UNMAPPED | Uc.HOOK_MEM_WRITE_UNMAPPED | Uc.HOOK_MEM_FETCH_UNMAPPED, invalid, 1, 0);
        }
    }

    private void configureVirtualTlb() {
        check(Uc.ctl(uc, Uc.ctlWrite(Uc.CTL_TLB_TYPE, 1), Uc.TLB_VIRTUAL), "uc_ctl(TLB_TYPE)");
        Uc.TlbFillCb fill = (u, vaddr, type, entry, user) -> {
            // The engine also looks up the page of the run's `until` address; that is no access of the guest's.
            if (vaddr != untilPage) lastFill = vaddr;
            if (type == Uc.MEM_FETCH && fastMode && entryPage(vaddr)) {
                // An entry trap: refusing the fill raises the fault before anything on the page is
                // translated (qemu/softmmu/unicorn_vtlb.c: a hook returning false -> tlb_miss ->
                // raise_mmu_exception), with the program counter at the entered address.
                deniedFetch = vaddr;
                return false;
            }
            entry.setLong(0, vaddr); // already page-masked by the engine (1 KiB pages on aarch64)
            entry.setInt(8, type == Uc.MEM_FETCH ? 7 : 3);
            return true;
        };
        addHook(Uc.HOOK_TLB_FILL, fill, 1, 0);
    }

    @Override
    public Arch arch() {
        return arch;
    }

    @Override
    public EngineInfo engine() {
        return engine;
    }

    // ---- memory ----

    @Override
    public void map(long address, long size, int perms) {
        check(Uc.uc_mem_map(uc, address, size, perms), "map 0x%x+0x%x", address, size);
    }

    @Override
    public void unmap(long address, long size) {
        check(Uc.uc_mem_unmap(uc, address, size), "unmap 0x%x+0x%x", address, size);
    }

    @Override
    public void protect(long address, long size, int perms) {
        check(Uc.uc_mem_protect(uc, address, size, perms), "protect 0x%x+0x%x", address, size);
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        if (offset == 0) {
            check(Uc.uc_mem_read(uc, address, dst, length), "read 0x%x+0x%x", address, length);
        } else {
            byte[] tmp = new byte[length];
            check(Uc.uc_mem_read(uc, address, tmp, length), "read 0x%x+0x%x", address, length);
            System.arraycopy(tmp, 0, dst, offset, length);
        }
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        byte[] b = src;
        if (offset != 0 || length != src.length) {
            b = new byte[length];
            System.arraycopy(src, offset, b, 0, length);
        }
        check(Uc.uc_mem_write(uc, address, b, length), "write 0x%x+0x%x", address, length);
    }

    // ---- registers ----

    @Override
    public long reg(Reg reg) {
        checkArch(reg);
        regBuf.setLong(0, 0);
        check(Uc.uc_reg_read(uc, UcRegs.id(reg), regBuf), "read %s", reg);
        return regBuf.getLong(0);
    }

    @Override
    public void reg(Reg reg, long value) {
        checkArch(reg);
        regBuf.setLong(0, value);
        check(Uc.uc_reg_write(uc, UcRegs.id(reg), regBuf), "write %s", reg);
    }

    @Override
    public long msr(int index) {
        requireX86("MSR");
        regBuf.setLong(0, index & 0xffffffffL);
        regBuf.setLong(8, 0);
        check(Uc.uc_reg_read(uc, UcRegs.X86_MSR, regBuf), "rdmsr 0x%x", index);
        return regBuf.getLong(8);
    }

    @Override
    public void msr(int index, long value) {
        requireX86("MSR");
        regBuf.setLong(0, index & 0xffffffffL);
        regBuf.setLong(8, value);
        check(Uc.uc_reg_write(uc, UcRegs.X86_MSR, regBuf), "wrmsr 0x%x", index);
    }

    @Override
    public void descriptorTable(String table, long base, int limit) {
        // struct uc_x86_mmr { u16 selector; u64 base; u32 limit; u32 flags; }
        regBuf.clear(24);
        regBuf.setLong(8, base);
        regBuf.setInt(16, limit);
        check(Uc.uc_reg_write(uc, tableId(table), regBuf), "write %s", table);
    }

    @Override
    public long[] descriptorTable(String table) {
        regBuf.clear(24);
        check(Uc.uc_reg_read(uc, tableId(table), regBuf), "read %s", table);
        return new long[] {regBuf.getLong(8), regBuf.getInt(16) & 0xffffffffL};
    }

    private int tableId(String table) {
        requireX86(table);
        return switch (table) {
            case "GDTR" -> UcRegs.X86_GDTR;
            case "IDTR" -> UcRegs.X86_IDTR;
            default -> throw new IllegalArgumentException("unknown descriptor table " + table);
        };
    }

    // ---- hooks ----

    @Override
    public Hook onCode(long begin, long end, CpuHooks.Code hook) {
        Uc.CodeCb cb = (u, address, size, user) -> guard(() -> hook.onCode(this, address, size));
        return precise(addHook(Uc.HOOK_CODE, cb, begin, end));
    }

    /**
     * In the fast mode ({@link #fastMode}) the range's pages never get execute permission: the TLB
     * fill hook refuses a fetch there, the engine stops before translating anything on the page, and
     * {@link #run} calls {@code hook} with the program counter, outside the engine. No code hook is
     * installed, so nothing is emitted into the guest's code and the exit checks may stay off. In
     * the exact mode (a debugger's hooks or counted runs) the trap is a code hook over the range, so
     * single steps and breakpoints see the stub as an instruction, as they always did. The range must
     * be whole engine pages (4 KiB on x86_64, 1 KiB on aarch64); otherwise, and where the exit checks
     * cannot be dropped (the slow engine, an unpinned library), this is a plain code hook.
     */
    @Override
    public Hook onEntry(long begin, long end, CpuHooks.Code hook) {
        long mask = pageSize() - 1;
        if (!exitChecksUsable || (begin & mask) != 0 || ((end + 1) & mask) != 0 || end < begin) {
            return onCode(begin, end, hook);
        }
        Entry e = new Entry(begin, end, hook);
        entries.add(e);
        if (fastMode) {
            flushTlb(); // a page filled before with execute permission must be refilled
        } else {
            e.codeHook = entryCodeHook(e);
        }
        return () -> {
            if (entries.remove(e) && e.codeHook != null) {
                e.codeHook.close();
                e.codeHook = null;
            }
        };
    }

    private Hook entryCodeHook(Entry e) {
        Uc.CodeCb cb = (u, address, size, user) -> guard(() -> e.hook.onCode(this, address, size));
        return addHook(Uc.HOOK_CODE, cb, e.begin, e.end);
    }

    private boolean entryPage(long page) {
        for (Entry e : entries) {
            if (page + pageSize() - 1 >= e.begin && page <= e.end) return true;
        }
        return false;
    }

    private Entry entryAt(long pc) {
        for (Entry e : entries) {
            if (pc >= e.begin && pc <= e.end) return e;
        }
        return null;
    }

    /**
     * Switches between the fast mode and the exact one (see {@link #fastMode}). Translated blocks
     * keep the exit checks and call-outs they were made with, so both switches flush them; entering
     * the fast mode also flushes the TLB, where the entry pages may hold execute rights.
     */
    private void mode(boolean fast) {
        if (fast == fastMode) return;
        ExitChecks.set(uc, fast);
        fastMode = fast;
        for (Entry e : entries) {
            if (fast && e.codeHook != null) {
                e.codeHook.close();
                e.codeHook = null;
            } else if (!fast && e.codeHook == null) {
                e.codeHook = entryCodeHook(e);
            }
        }
        flushTranslations();
        if (fast) flushTlb();
    }

    private long pageSize() {
        return arch == Arch.X86_64 ? 0x1000 : 0x400;
    }

    /** Counts a hook that needs the exit checks while it is installed. */
    private Hook precise(Hook h) {
        preciseHooks++;
        return new Hook() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                preciseHooks--;
                h.close();
            }
        };
    }

    @Override
    public Hook onInterrupt(CpuHooks.Interrupt hook) {
        Uc.IntrCb cb = (u, intno, user) -> guard(() -> hook.onInterrupt(this, intno));
        return addHook(Uc.HOOK_INTR, cb, 1, 0);
    }

    @Override
    public Hook onInvalidInstruction(CpuHooks.InvalidInstruction hook) {
        Uc.InsnInvalidCb cb = (u, user) -> {
            boolean[] go = {false};
            guard(() -> go[0] = hook.onInvalidInstruction(this));
            return go[0];
        };
        return addHook(Uc.HOOK_INSN_INVALID, cb, 1, 0);
    }

    @Override
    public Hook onCpuid(CpuHooks.Cpuid hook) {
        requireX86("CPUID");
        Uc.CpuidCb cb = (u, user) -> {
            boolean[] handled = {false};
            guard(() -> handled[0] = hook.onCpuid(this));
            return handled[0] ? 1 : 0;
        };
        return addHook(Uc.HOOK_INSN, cb, 1, 0, Uc.X86_INS_CPUID);
    }

    @Override
    public Hook onRdtsc(CpuHooks.Tsc hook) {
        requireX86("RDTSC");
        if (!engine.fast()) return null; // Unicorn 2.0.1 cannot hook RDTSC (docs/architecture.md, Reproducibility)
        Uc.CpuidCb cb = (u, user) -> {
            guard(() -> {
                long v = hook.onRdtsc(this);
                reg(X86Reg.RAX, v & 0xffffffffL);
                reg(X86Reg.RDX, v >>> 32);
            });
            return 1;
        };
        Hook a = addHook(Uc.HOOK_INSN, cb, 1, 0, Uc.X86_INS_RDTSC);
        Hook b = addHook(Uc.HOOK_INSN, cb, 1, 0, Uc.X86_INS_RDTSCP);
        return () -> {
            a.close();
            b.close();
        };
    }

    @Override
    public Hook onPortIn(CpuHooks.PortIn hook) {
        requireX86("IN");
        Uc.InCb cb = (u, port, size, user) -> {
            int[] v = {0};
            guard(() -> v[0] = hook.onIn(this, port, size));
            return v[0];
        };
        return addHook(Uc.HOOK_INSN, cb, 1, 0, Uc.X86_INS_IN);
    }

    @Override
    public Hook onPortOut(CpuHooks.PortOut hook) {
        requireX86("OUT");
        Uc.OutCb cb = (u, port, size, value, user) -> guard(() -> hook.onOut(this, port, size, value));
        return addHook(Uc.HOOK_INSN, cb, 1, 0, Uc.X86_INS_OUT);
    }

    @Override
    public Hook onMemoryAccess(long begin, long end, boolean reads, boolean writes, CpuHooks.MemoryAccess hook) {
        int type = (reads ? Uc.HOOK_MEM_READ : 0) | (writes ? Uc.HOOK_MEM_WRITE : 0);
        if (type == 0) throw new IllegalArgumentException("watch reads, writes or both");
        Uc.MemCb cb = (u, t, address, size, value, user) -> {
            guard(() -> hook.onAccess(this, t == Uc.MEM_WRITE, address, size, value));
            return true;
        };
        return precise(addHook(type, cb, begin, end));
    }

    private Hook addHook(int type, Callback cb, long begin, long end, Object... extra) {
        LongByReference hh = new LongByReference();
        check(Uc.hookAdd(uc, hh, type, cb, begin, end, extra), "hook type 0x%x", type);
        callbacks.add(cb);
        long handle = hh.getValue();
        return new Hook() {
            private boolean closed;

            @Override
            public void close() {
                if (closed || uc == null) return;
                closed = true;
                check(Uc.uc_hook_del(uc, handle), "hook_del");
                callbacks.remove(cb);
            }
        };
    }

    /** Runs hook code; any throwable stops the engine and is rethrown from {@link #run}. */
    private void guard(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            if (pending == null) pending = t;
            stop();
        }
    }

    // ---- execution ----

    @Override
    public RunResult run(long begin, long until) {
        counting = false;
        return start(begin, until, 0);
    }

    @Override
    public RunResult run(long begin, long until, long count) {
        if (count <= 0) throw new IllegalArgumentException("count must be positive: " + count);
        // Blocks translated by plain runs call out only where a hook was: without a flush the
        // counter would see just those instructions. (Unicorn flushes on the way back itself.)
        if (!counting) flushTranslations();
        counting = true;
        return start(begin, until, count);
    }

    private RunResult start(long begin, long until, long count) {
        stopRequested = false;
        pending = null;
        lastInvalid = -1;
        lastFill = -1;
        deniedFetch = -1;
        untilPage = until & ~(pageSize() - 1);
        mode(exitChecksUsable && preciseHooks == 0 && count == 0);
        int err = Uc.uc_emu_start(uc, begin, until, 0, count);
        if (err != Uc.ERR_OK && deniedFetch != -1 && pending == null) {
            long pc = reg(arch == Arch.X86_64 ? X86Reg.RIP : Arm64Reg.PC);
            Entry e = entryAt(pc);
            if (e != null) {
                guard(() -> e.hook.onCode(this, pc, 0));
                if (stopRequested && pending == null) return new RunResult(RunResult.Kind.STOPPED, pc, -1, null);
                if (pending == null) {
                    return new RunResult(RunResult.Kind.MEMORY_FAULT, pc, pc, "fetch from a trapped, non-executable page");
                }
            }
        }
        if (pending != null) {
            Throwable t = pending;
            pending = null;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            throw new CpuException("hook failed: " + t, t);
        }
        long pc = reg(arch == Arch.X86_64 ? X86Reg.RIP : Arm64Reg.PC);
        if (err == Uc.ERR_OK) {
            return new RunResult(stopRequested ? RunResult.Kind.STOPPED : RunResult.Kind.UNTIL, pc, -1, null);
        }
        String msg = Uc.uc_strerror(err);
        if (err == Uc.ERR_INSN_INVALID) {
            return new RunResult(RunResult.Kind.INVALID_INSTRUCTION, pc, -1, msg);
        }
        if ((err >= Uc.ERR_READ_UNMAPPED && err <= Uc.ERR_FETCH_UNMAPPED)
                || (err >= Uc.ERR_WRITE_PROT && err <= Uc.ERR_FETCH_PROT)
                || (err >= Uc.ERR_READ_UNALIGNED && err <= Uc.ERR_FETCH_UNALIGNED)) {
            long addr = lastInvalid != -1 ? lastInvalid : lastFill;
            return new RunResult(RunResult.Kind.MEMORY_FAULT, pc, addr, msg);
        }
        return new RunResult(RunResult.Kind.ENGINE_ERROR, pc, -1, msg);
    }

    @Override
    public void stop() {
        stopRequested = true;
        Uc.uc_emu_stop(uc);
    }

    @Override
    public void flushTranslations() {
        if (engine.fast()) {
            check(Uc.ctl(uc, Uc.ctlWrite(Uc.CTL_TB_FLUSH, 0)), "uc_ctl(TB_FLUSH)");
        }
    }

    @Override
    public void warmUp(long codePage, long dataBase, int pages) {
        if (!engine.fast()) return;
        TlbWarmUp.run(this, codePage, dataBase, pages);
    }

    /** Whether the last run went without Unicorn's exit checks after memory accesses (tests). */
    boolean exitChecksOff() {
        return fastMode;
    }

    void flushTlb() {
        check(Uc.ctl(uc, Uc.ctlWrite(Uc.CTL_TLB_FLUSH, 0)), "uc_ctl(TLB_FLUSH)");
    }

    @Override
    public void close() {
        if (uc != null) {
            Uc.uc_close(uc);
            uc = null;
            callbacks.clear();
        }
    }

    // ---- helpers ----

    private void checkArch(Reg reg) {
        if (reg.arch() != arch) throw new IllegalArgumentException(reg + " is not a " + arch + " register");
    }

    private void requireX86(String what) {
        if (arch != Arch.X86_64) throw new UnsupportedOperationException(what + " exists on x86_64 only");
    }

    private static void check(int err, String what, Object... args) {
        if (err != Uc.ERR_OK) {
            throw new CpuException("unicorn: " + String.format(what, args) + ": " + Uc.uc_strerror(err) + " (uc_err " + err + ")");
        }
    }
}
