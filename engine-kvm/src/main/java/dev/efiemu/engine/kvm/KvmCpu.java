package dev.efiemu.engine.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.efiemu.cpu.Arch;
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
 * {@link Cpu} on a Linux KVM virtual machine with one vCPU (x86_64 only; docs/kvm.md). Guest code
 * runs natively; the engine sees it only at VM exits:
 *
 * <ul>
 *   <li>code hooks: the hooked range is shadowed with HLT ({@link GuestRam}), so entering it exits
 *       (KVM_EXIT_HLT, no in-kernel LAPIC) and the hook runs before the hooked instruction, as on
 *       Unicorn. The firmware's service stubs are hooked this way; a hook must stop there (the real
 *       instruction under a shadow cannot run);</li>
 *   <li>CPU exceptions: the private IDT ({@link LongMode}) sends vector N to a HLT at a known
 *       address; the frame on the exception stack gives back the faulting RIP, RSP and RFLAGS, and
 *       the exception is reported as Unicorn reports it: #UD an invalid instruction, #PF a memory
 *       fault at CR2, the others to the interrupt hooks;</li>
 *   <li>memory without a slot: KVM_EXIT_MMIO, a memory fault at that address;</li>
 *   <li>port I/O: KVM_EXIT_IO, to the port hooks; CPUID: answered inside KVM from the table the
 *       CPUID hook gives (KVM_SET_CPUID2), masked by what KVM supports.</li>
 * </ul>
 *
 * RDTSC cannot be hooked: the guest reads the real TSC ({@link #onRdtsc} returns null).
 */
final class KvmCpu implements Cpu {
    private static final String READ_UNMAPPED = "Invalid memory read (UC_ERR_READ_UNMAPPED)",
            WRITE_UNMAPPED = "Invalid memory write (UC_ERR_WRITE_UNMAPPED)",
            FETCH_UNMAPPED = "Invalid memory fetch (UC_ERR_FETCH_UNMAPPED)",
            INSN_INVALID = "Invalid instruction (UC_ERR_INSN_INVALID)",
            EXCEPTION = "Unhandled CPU exception (UC_ERR_EXCEPTION)";
    private static final int MSR_EFER = 0xc0000080;
    /** {@code -Defiemu.kvm.trace=true}: every VM exit on stderr (for diagnosing the engine). */
    private static final boolean TRACE = Boolean.getBoolean("efiemu.kvm.trace");

    private final EngineInfo engine;
    private final int kvmFd, vmFd, vcpuFd;
    private final Pointer run;
    private final long runSize;
    private final GuestRam ram;
    private final LongMode longMode;
    private final VcpuState state;
    private final Memory msrBuf = new Memory(Layout.MSRS_HEADER + Layout.MSR_ENTRY);
    private long[] idtr = {0, 0};
    private boolean closed;

    private record CodeHook(long begin, long end, CpuHooks.Code hook, GuestRam.Shadow shadow) {}

    private final List<CodeHook> codeHooks = new ArrayList<>();
    private final List<CpuHooks.Interrupt> interruptHooks = new ArrayList<>();
    private final List<CpuHooks.InvalidInstruction> invalidHooks = new ArrayList<>();
    private final List<CpuHooks.Cpuid> cpuidHooks = new ArrayList<>();
    private final List<CpuHooks.PortIn> inHooks = new ArrayList<>();
    private final List<CpuHooks.PortOut> outHooks = new ArrayList<>();
    private boolean cpuidSet;

    private boolean stopRequested;
    private volatile boolean kicked;
    private volatile long runThread;
    private Thread runJavaThread;
    private Throwable pending;

    KvmCpu(EngineInfo engine, String device) {
        this.engine = engine;
        this.kvmFd = KvmProbe.open(device);
        int vm = -1, vcpu = -1;
        try {
            vm = Kvm.ioctl(kvmFd, Kvm.CREATE_VM, 0, "KVM_CREATE_VM");
            // Intel without unrestricted guest needs it for real mode only; the conventional address, below the flash.
            Kvm.ioctl(vm, Kvm.SET_TSS_ADDR, 0xfffbd000L, "KVM_SET_TSS_ADDR");
            vcpu = Kvm.ioctl(vm, Kvm.CREATE_VCPU, 0, "KVM_CREATE_VCPU");
            this.runSize = Kvm.ioctl(kvmFd, Kvm.GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
            try {
                this.run = Kvm.LibC.INSTANCE.mmap(null, new NativeLong(runSize), Kvm.PROT_READ | Kvm.PROT_WRITE, Kvm.MAP_SHARED, vcpu,
                        new NativeLong(0));
            } catch (LastErrorException e) {
                throw new KvmException("mmap of kvm_run", e.getErrorCode());
            }
        } catch (RuntimeException e) {
            closeFd(vcpu);
            closeFd(vm);
            closeFd(kvmFd);
            throw e;
        }
        this.vmFd = vm;
        this.vcpuFd = vcpu;
        this.ram = new GuestRam(vmFd);
        this.longMode = new LongMode(Math.min(40, LongMode.hostPhysBits()));
        this.state = new VcpuState(vcpuFd);
        GuestRam.Region area = ram.map(longMode.base, LongMode.SIZE);
        longMode.build(area.host());
        longMode.initSregs(state.sregsForWrite());
        state.reg(Layout.RFLAGS, 0x2);
    }

    @Override
    public Arch arch() {
        return Arch.X86_64;
    }

    @Override
    public EngineInfo engine() {
        return engine;
    }

    // ---- memory ----

    @Override
    public void map(long address, long size, int perms) {
        if (address < longMode.base + LongMode.SIZE && address + size > longMode.base) {
            throw new CpuException(String.format("kvm: map 0x%x+0x%x: collides with the engine's page tables at 0x%x", address, size,
                    longMode.base));
        }
        // Above the engine's identity map the guest cannot address memory at all (a page fault): such a
        // mapping (the firmware's scratch window for Unicorn's TLB warm-up) is the host's only.
        // Permissions: all guest memory is read/write/execute on KVM (docs/kvm.md).
        ram.map(address, size, address < longMode.base);
    }

    @Override
    public void unmap(long address, long size) {
        ram.unmap(address, size);
    }

    @Override
    public void protect(long address, long size, int perms) {
        throw new UnsupportedOperationException("kvm: page protection is not supported (all guest memory is read/write/execute)");
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        ram.read(address, dst, offset, length);
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        ram.write(address, src, offset, length);
    }

    // ---- registers ----

    @Override
    public long reg(Reg reg) {
        X86Reg r = x86(reg);
        int g = gpr(r);
        if (g >= 0) return state.reg(g);
        Memory s = state.sregs();
        return switch (r) {
            case CS, SS, DS, ES, FS, GS -> s.getShort(segment(r) + Layout.SEG_SELECTOR) & 0xffffL;
            case FS_BASE -> s.getLong(Layout.FS + Layout.SEG_BASE);
            case GS_BASE -> s.getLong(Layout.GS + Layout.SEG_BASE);
            case CR0 -> s.getLong(Layout.CR0);
            case CR2 -> s.getLong(Layout.CR2);
            case CR3 -> s.getLong(Layout.CR3);
            case CR4 -> s.getLong(Layout.CR4);
            case CR8 -> s.getLong(Layout.CR8);
            case MXCSR -> state.fpu().getInt(Layout.FPU_MXCSR) & 0xffffffffL;
            default -> throw new IllegalArgumentException("kvm: no register " + r);
        };
    }

    @Override
    public void reg(Reg reg, long value) {
        X86Reg r = x86(reg);
        int g = gpr(r);
        if (g >= 0) {
            state.reg(g, value);
            return;
        }
        if (r == X86Reg.MXCSR) {
            state.fpuForWrite().setInt(Layout.FPU_MXCSR, (int) value);
            return;
        }
        Memory s = state.sregsForWrite();
        switch (r) {
            case CS, SS, DS, ES, FS, GS -> s.setShort(segment(r) + Layout.SEG_SELECTOR, (short) value);
            case FS_BASE -> s.setLong(Layout.FS + Layout.SEG_BASE, value);
            case GS_BASE -> s.setLong(Layout.GS + Layout.SEG_BASE, value);
            case CR0 -> s.setLong(Layout.CR0, value);
            case CR2 -> s.setLong(Layout.CR2, value);
            case CR3 -> s.setLong(Layout.CR3, value);
            case CR4 -> s.setLong(Layout.CR4, value);
            case CR8 -> s.setLong(Layout.CR8, value);
            default -> throw new IllegalArgumentException("kvm: no register " + r);
        }
    }

    private static X86Reg x86(Reg reg) {
        if (!(reg instanceof X86Reg r)) throw new IllegalArgumentException(reg + " is not a X86_64 register");
        return r;
    }

    private static int gpr(X86Reg r) {
        return switch (r) {
            case RAX -> Layout.RAX;
            case RBX -> Layout.RBX;
            case RCX -> Layout.RCX;
            case RDX -> Layout.RDX;
            case RSI -> Layout.RSI;
            case RDI -> Layout.RDI;
            case RSP -> Layout.RSP;
            case RBP -> Layout.RBP;
            case R8, R9, R10, R11, R12, R13, R14, R15 -> Layout.R8 + 8 * (r.ordinal() - X86Reg.R8.ordinal());
            case RIP -> Layout.RIP;
            case RFLAGS -> Layout.RFLAGS;
            default -> -1;
        };
    }

    private static int segment(X86Reg r) {
        return switch (r) {
            case CS -> Layout.CS;
            case DS -> Layout.DS;
            case ES -> Layout.ES;
            case FS -> Layout.FS;
            case GS -> Layout.GS;
            case SS -> Layout.SS;
            default -> throw new IllegalArgumentException(r.name());
        };
    }

    @Override
    public long msr(int index) {
        if (index == MSR_EFER) return state.sregs().getLong(Layout.EFER);
        msrBuf.clear();
        msrBuf.setInt(0, 1);
        msrBuf.setInt(Layout.MSRS_HEADER, index);
        int n = Kvm.ioctl(vcpuFd, Kvm.GET_MSRS, msrBuf, String.format("KVM_GET_MSRS(0x%x)", index));
        if (n != 1) throw new CpuException(String.format("kvm: rdmsr 0x%x: KVM does not know this MSR", index));
        return msrBuf.getLong(Layout.MSRS_HEADER + 8);
    }

    @Override
    public void msr(int index, long value) {
        if (index == MSR_EFER) {
            state.sregsForWrite().setLong(Layout.EFER, value);
            return;
        }
        state.flush(); // MSR writes go straight to the vCPU
        msrBuf.clear();
        msrBuf.setInt(0, 1);
        msrBuf.setInt(Layout.MSRS_HEADER, index);
        msrBuf.setLong(Layout.MSRS_HEADER + 8, value);
        int n = Kvm.ioctl(vcpuFd, Kvm.SET_MSRS, msrBuf, String.format("KVM_SET_MSRS(0x%x)", index));
        if (n != 1) throw new CpuException(String.format("kvm: wrmsr 0x%x: KVM refused the value 0x%x", index, value));
        state.invalidate();
    }

    @Override
    public void descriptorTable(String table, long base, int limit) {
        switch (table) {
            case "GDTR" -> {
                Memory s = state.sregsForWrite();
                s.setLong(Layout.GDT + Layout.DT_BASE, base);
                s.setShort(Layout.GDT + Layout.DT_LIMIT, (short) limit);
            }
            // The vCPU keeps the engine's own IDT (exceptions must exit); the firmware's value is kept for reading back.
            case "IDTR" -> idtr = new long[] {base, limit & 0xffffffffL};
            default -> throw new IllegalArgumentException("unknown descriptor table " + table);
        }
    }

    @Override
    public long[] descriptorTable(String table) {
        return switch (table) {
            case "GDTR" -> new long[] {state.sregs().getLong(Layout.GDT + Layout.DT_BASE),
                state.sregs().getShort(Layout.GDT + Layout.DT_LIMIT) & 0xffffL};
            case "IDTR" -> idtr.clone();
            default -> throw new IllegalArgumentException("unknown descriptor table " + table);
        };
    }

    // ---- hooks ----

    @Override
    public Hook onCode(long begin, long end, CpuHooks.Code hook) {
        CodeHook h = new CodeHook(begin, end, hook, ram.shadow(begin, end));
        codeHooks.add(h);
        return () -> {
            if (codeHooks.remove(h) && !closed) ram.unshadow(h.shadow());
        };
    }

    @Override
    public Hook onInterrupt(CpuHooks.Interrupt hook) {
        return add(interruptHooks, hook);
    }

    @Override
    public Hook onInvalidInstruction(CpuHooks.InvalidInstruction hook) {
        return add(invalidHooks, hook);
    }

    @Override
    public Hook onCpuid(CpuHooks.Cpuid hook) {
        if (cpuidSet) throw new IllegalStateException("kvm: the CPUID table is fixed once the vCPU has run");
        return add(cpuidHooks, hook);
    }

    /** KVM answers RDTSC in the CPU: it cannot be hooked (docs/kvm.md, "Reproducibility"). */
    @Override
    public Hook onRdtsc(CpuHooks.Tsc hook) {
        return null;
    }

    @Override
    public Hook onPortIn(CpuHooks.PortIn hook) {
        return add(inHooks, hook);
    }

    @Override
    public Hook onPortOut(CpuHooks.PortOut hook) {
        return add(outHooks, hook);
    }

    @Override
    public Hook onMemoryAccess(long begin, long end, boolean reads, boolean writes, CpuHooks.MemoryAccess hook) {
        throw new UnsupportedOperationException("kvm: memory access hooks (watchpoints) are not supported");
    }

    private static <T> Hook add(List<T> list, T hook) {
        list.add(hook);
        return () -> list.remove(hook);
    }

    // ---- execution ----

    @Override
    public RunResult run(long begin, long until) {
        if (closed) throw new IllegalStateException("kvm: the CPU is closed");
        state.reg(Layout.RIP, begin);
        GuestRam.Shadow untilShadow = until != FOREVER && ram.mapped(until) && !ram.shadowed(until) ? ram.shadow(until, until) : null;
        stopRequested = false;
        pending = null;
        runThread = Kicker.self();
        runJavaThread = Thread.currentThread();
        try {
            if (!cpuidSet) setCpuid();
            return loop(until);
        } finally {
            runThread = 0;
            runJavaThread = null;
            if (untilShadow != null) ram.unshadow(untilShadow);
        }
    }

    private RunResult loop(long until) {
        while (true) {
            if (kicked) return kickedStop();
            state.flush();
            try {
                Kvm.ioctl(vcpuFd, Kvm.RUN, 0, "KVM_RUN");
            } catch (KvmException e) {
                if (e.errno() != Kvm.EINTR && e.errno() != Kvm.EAGAIN) throw e;
                if (TRACE) System.err.printf("kvm: KVM_RUN interrupted (%s), kicked=%s%n", Kvm.errno(e.errno()), kicked);
                state.invalidate();
                if (kicked) return kickedStop();
                continue; // a signal for someone else
            }
            state.invalidate();
            int reason = run.getInt(Layout.RUN_EXIT_REASON);
            if (TRACE) System.err.printf("kvm: exit %d at rip 0x%x rsp 0x%x%n", reason, state.reg(Layout.RIP), state.reg(Layout.RSP));
            RunResult r = switch (reason) {
                case Kvm.EXIT_HLT -> halted(until);
                case Kvm.EXIT_IO -> portIo();
                case Kvm.EXIT_MMIO -> mmio();
                case Kvm.EXIT_INTERNAL_ERROR -> internalError();
                case Kvm.EXIT_SHUTDOWN -> result(RunResult.Kind.ENGINE_ERROR, -1, "triple fault (KVM_EXIT_SHUTDOWN)");
                case Kvm.EXIT_FAIL_ENTRY -> result(RunResult.Kind.ENGINE_ERROR, -1, String.format(
                        "KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY, hardware reason 0x%x)", run.getLong(Layout.FAIL_ENTRY_REASON)));
                case Kvm.EXIT_INTR -> kicked ? kickedStop() : null;
                default -> result(RunResult.Kind.ENGINE_ERROR, -1, "unexpected KVM exit reason " + reason);
            };
            if (pending != null) {
                Throwable t = pending;
                pending = null;
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error err) throw err;
                throw new CpuException("hook failed: " + t, t);
            }
            if (r != null) return r;
        }
    }

    private RunResult kickedStop() {
        kicked = false;
        run.setByte(Layout.RUN_IMMEDIATE_EXIT, (byte) 0);
        return result(RunResult.Kind.STOPPED, -1, null);
    }

    private RunResult result(RunResult.Kind kind, long address, String detail) {
        return new RunResult(kind, state.reg(Layout.RIP), address, detail);
    }

    /** KVM_EXIT_HLT: a shadowed code hook, an exception exit, {@code until}, or the guest's own HLT. */
    private RunResult halted(long until) {
        long at = state.reg(Layout.RIP) - 1;
        int vector = longMode.vectorAt(at);
        if (vector >= 0) return exception(vector);
        if (ram.shadowed(at)) {
            state.reg(Layout.RIP, at); // the stop is before the hooked instruction, as on Unicorn
            boolean hooked = false;
            for (CodeHook h : List.copyOf(codeHooks)) {
                if (at < h.begin() || at > h.end()) continue;
                hooked = true;
                guard(() -> h.hook().onCode(this, at, 1));
                if (pending != null) return null;
            }
            if (stopRequested) return result(RunResult.Kind.STOPPED, -1, null);
            if (at == until) return result(RunResult.Kind.UNTIL, -1, null);
            return result(RunResult.Kind.ENGINE_ERROR, -1, String.format("kvm: the guest ran hooked code at 0x%x that no hook stopped for%s"
                    + " (code under a hook runs only on Unicorn)", at, hooked ? "" : " (its hook is gone)"));
        }
        return result(RunResult.Kind.UNTIL, -1, null); // the guest's HLT: the engine stops, as Unicorn's does
    }

    /** An exception exit: back to the faulting context, then reported as Unicorn reports the exception. */
    private RunResult exception(int vector) {
        long sp = state.reg(Layout.RSP);
        long top = longMode.base + LongMode.STACK_TOP;
        int frame = LongMode.hasErrorCode(vector) ? 48 : 40;
        if (sp != top - frame) {
            return result(RunResult.Kind.ENGINE_ERROR, -1, String.format("CPU exception %d with a broken exception stack", vector));
        }
        byte[] f = new byte[frame];
        ram.read(sp, f, 0, frame);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int o = frame - 40;
        long errorCode = o == 8 ? b.getLong(0) : 0;
        state.reg(Layout.RIP, b.getLong(o));
        state.reg(Layout.RFLAGS, b.getLong(o + 16));
        state.reg(Layout.RSP, b.getLong(o + 24));
        if (vector == 14) {
            long cr2 = state.sregs().getLong(Layout.CR2);
            String detail = (errorCode & 0x10) != 0 ? FETCH_UNMAPPED : (errorCode & 2) != 0 ? WRITE_UNMAPPED : READ_UNMAPPED;
            return result(RunResult.Kind.MEMORY_FAULT, cr2, detail);
        }
        if (vector == 6) {
            for (CpuHooks.InvalidInstruction h : List.copyOf(invalidHooks)) {
                boolean[] go = {false};
                guard(() -> go[0] = h.onInvalidInstruction(this));
                if (pending != null) return null;
                if (go[0]) return stopRequested ? result(RunResult.Kind.STOPPED, -1, null) : null;
            }
            return result(RunResult.Kind.INVALID_INSTRUCTION, -1, INSN_INVALID);
        }
        if (interruptHooks.isEmpty()) return result(RunResult.Kind.ENGINE_ERROR, -1, EXCEPTION);
        for (CpuHooks.Interrupt h : List.copyOf(interruptHooks)) {
            guard(() -> h.onInterrupt(this, vector));
            if (pending != null) return null;
        }
        return stopRequested ? result(RunResult.Kind.STOPPED, -1, null) : null;
    }

    /** KVM_EXIT_IO: each port access to the hooks (IN without a hook reads all ones, as from an absent device). */
    private RunResult portIo() {
        boolean in = run.getByte(Layout.IO_DIRECTION) == 0;
        int size = run.getByte(Layout.IO_SIZE);
        int port = run.getShort(Layout.IO_PORT) & 0xffff;
        int count = run.getInt(Layout.IO_COUNT);
        long data = run.getLong(Layout.IO_DATA_OFFSET);
        for (int i = 0; i < count; i++) {
            long at = data + (long) i * size;
            if (in) {
                int[] v = {size >= 4 ? -1 : (1 << (8 * size)) - 1};
                for (CpuHooks.PortIn h : List.copyOf(inHooks)) guard(() -> v[0] = h.onIn(this, port, size));
                for (int k = 0; k < size; k++) run.setByte(at + k, (byte) (v[0] >>> (8 * k)));
            } else {
                int v = 0;
                for (int k = 0; k < size; k++) v |= (run.getByte(at + k) & 0xff) << (8 * k);
                int value = v;
                for (CpuHooks.PortOut h : List.copyOf(outHooks)) guard(() -> h.onOut(this, port, size, value));
            }
        }
        if (pending == null && !stopRequested) return null; // KVM completes the instruction on the next KVM_RUN
        completePendingExit();
        return pending != null ? null : result(RunResult.Kind.STOPPED, -1, null);
    }

    /** KVM_EXIT_MMIO: the guest touched guest-physical memory without a slot: a memory fault there, never resumed. */
    private RunResult mmio() {
        long address = run.getLong(Layout.MMIO_ADDRESS);
        boolean write = run.getByte(Layout.MMIO_IS_WRITE) != 0;
        Memory before = new Memory(Layout.REGS_SIZE);
        before.write(0, state.regs().getByteArray(0, Layout.REGS_SIZE), 0, Layout.REGS_SIZE);
        completePendingExit();
        state.keepRegs(before); // RIP stays on the faulting instruction
        return result(RunResult.Kind.MEMORY_FAULT, address, write ? WRITE_UNMAPPED : READ_UNMAPPED);
    }

    private RunResult internalError() {
        int sub = run.getInt(Layout.INTERNAL_SUBERROR);
        long rip = state.reg(Layout.RIP);
        if (sub == 1 && !ram.mapped(rip)) {
            // KVM_INTERNAL_ERROR_EMULATION: KVM could not fetch the instruction to emulate: code outside memory.
            return result(RunResult.Kind.MEMORY_FAULT, rip, FETCH_UNMAPPED);
        }
        int n = Math.min(run.getInt(Layout.INTERNAL_SUBERROR + 4), 8);
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < n; i++) data.append(i == 0 ? "; data" : "").append(String.format(" 0x%x", run.getLong(Layout.INTERNAL_SUBERROR + 8 + 8L * i)));
        return result(RunResult.Kind.ENGINE_ERROR, -1, "KVM internal error (KVM_EXIT_INTERNAL_ERROR, suberror " + sub + data + ")");
    }

    /**
     * Lets KVM finish the instruction of an I/O or MMIO exit without running the guest on
     * (kvm_run.immediate_exit, api.rst): so registers written afterwards are not overwritten by it.
     */
    private void completePendingExit() {
        state.flush();
        run.setByte(Layout.RUN_IMMEDIATE_EXIT, (byte) 1);
        try {
            Kvm.ioctl(vcpuFd, Kvm.RUN, 0, "KVM_RUN (completing an exit)");
        } catch (KvmException e) {
            if (e.errno() != Kvm.EINTR) throw e;
        } finally {
            if (!kicked) run.setByte(Layout.RUN_IMMEDIATE_EXIT, (byte) 0);
            state.invalidate();
        }
    }

    /** Builds the CPUID table from the CPUID hook's answers, masked by what KVM supports (KVM_SET_CPUID2). */
    private void setCpuid() {
        CpuidTable supported = CpuidTable.supported(kvmFd);
        CpuidTable table = cpuidHooks.isEmpty() ? supported : CpuidTable.fromHook(this, cpuidHooks.get(cpuidHooks.size() - 1), supported);
        table.set(vcpuFd);
        cpuidSet = true;
    }

    private void guard(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            if (pending == null) pending = t;
            stopRequested = true;
        }
    }

    @Override
    public void stop() {
        if (Thread.currentThread() == runJavaThread) {
            stopRequested = true; // from a hook: the loop stops after it
            return;
        }
        kicked = true;
        Kicker.kick(run, runThread);
    }

    @Override
    public void flushTranslations() {
        // nothing is translated: the CPU runs the guest's bytes
    }

    @Override
    public void warmUp(long codePage, long dataBase, int pages) {
        // no software TLB to grow
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Kvm.LibC.INSTANCE.munmap(run, new NativeLong(runSize));
        } catch (LastErrorException e) {
            // going away anyway
        }
        closeFd(vcpuFd);
        closeFd(vmFd);
        ram.close();
        closeFd(kvmFd);
    }

    private static void closeFd(int fd) {
        if (fd < 0) return;
        try {
            Kvm.LibC.INSTANCE.close(fd);
        } catch (LastErrorException e) {
            // nothing to do
        }
    }
}
