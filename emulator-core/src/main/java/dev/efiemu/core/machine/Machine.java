package dev.efiemu.core.machine;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.handles.HandleDatabase;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.image.LoadedImages;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.memory.PhysicalBacking;
import dev.efiemu.core.memory.PoolAllocator;
import dev.efiemu.core.trap.Abi;
import dev.efiemu.core.trap.Service;
import dev.efiemu.core.trap.ServiceTrace;
import dev.efiemu.core.trap.TrapDispatcher;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.Perm;
import dev.efiemu.cpu.Reg;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;

/**
 * One emulated UEFI machine: a CPU with the target's physical memory, the memory map and
 * allocators, the trap dispatcher, the handle database and the images. Services live in their own
 * classes ({@code boot.*}, {@code runtime.*}) and protocols in the protocols module; this class
 * runs guest code and calls back into it.
 */
public final class Machine implements AutoCloseable {
    public static final long STUB_AREA = 64 * 1024;
    public static final long STACK_SIZE = 1 << 20;

    private final MachineConfig config;
    private final Cpu cpu;
    private final String engineFallback;
    private final Abi abi;
    private final GuestMemory memory;
    private final MemoryMap map;
    private final PhysicalBacking backing;
    private final PoolAllocator pool;
    private final ServiceTrace trace = new ServiceTrace();
    private final TrapDispatcher traps;
    private final HandleDatabase handles;
    private final Service returnTrap;
    private final long stackTop;
    private final LoadedImages images = new LoadedImages();
    private final dev.efiemu.core.display.Display display = new dev.efiemu.core.display.Display();
    private int frameDepth;
    private volatile boolean budgetExceeded;
    private String pendingFault;
    private boolean bootServicesActive = true;
    /** A debugger's hold on the run loop; null (the normal case) costs nothing. */
    private dev.efiemu.core.machine.ExecutionControl control;

    public Machine(MachineConfig config) {
        this.config = config;
        Cpus.Selected engine = Cpus.choose(config.arch(), config.engine());
        this.cpu = engine.open(config.arch());
        this.engineFallback = engine.fallback();
        this.abi = Abi.of(config.arch());
        this.memory = new GuestMemory(cpu);
        this.map = config.memoryMap();
        this.backing = new PhysicalBacking(cpu, map);
        map.onAllocation(backing::ensure);
        this.pool = new PoolAllocator(map);
        long stubs = map.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.RUNTIME_SERVICES_CODE.code(), STUB_AREA / MemoryMap.PAGE, 0);
        this.traps = new TrapDispatcher(cpu, abi, memory, stubs, STUB_AREA, trace);
        memory.guard(stubs, STUB_AREA);
        this.returnTrap = traps.define("<return to host>", 0, c -> {
            throw new IllegalStateException("return trap dispatched");
        });
        long stack = map.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.BOOT_SERVICES_DATA.code(), STACK_SIZE / MemoryMap.PAGE, 0);
        this.stackTop = stack + STACK_SIZE - 64;
        setSp(stackTop);
        this.handles = new HandleDatabase(() -> {
            long h = pool.allocate(MemoryType.BOOT_SERVICES_DATA.code(), 16);
            memory.write(h, "efiemu handle\0\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return h;
        });
        cpu.onInterrupt((c, n) -> {
            pendingFault = describeInterrupt(n);
            c.stop();
        });
        warmUpTlb(stack);
    }

    /**
     * Grows the engine's software TLB (docs/architecture.md, "Engine set-up"): the warm-up reads
     * 8192 pages, which the run has not allocated, so it reads a scratch window mapped above
     * everything the memory map describes and unmapped again. Scratch code goes on the stack pages.
     */
    private void warmUpTlb(long codePage) {
        int pages = 8192;
        long scratch = (map.highestAddress() + (1L << 30) - 1) & -(1L << 30);
        long size = (long) pages * MemoryMap.PAGE;
        cpu.map(scratch, size, Perm.READ | Perm.WRITE);
        try {
            cpu.warmUp(codePage, scratch, pages);
        } finally {
            cpu.unmap(scratch, size);
        }
    }

    /**
     * Why {@code auto} passed over a more preferred engine ("kvm: cannot open /dev/kvm: ..."), or null
     * when the engine asked for runs.
     */
    public String engineFallback() {
        return engineFallback;
    }

    /** What the engine backs of the physical address space (allocated RAM only). */
    public PhysicalBacking backing() {
        return backing;
    }

    // ---- accessors used by services and protocols ----

    public MachineConfig config() { return config; }
    public Cpu cpu() { return cpu; }
    public Abi abi() { return abi; }
    public GuestMemory memory() { return memory; }
    public MemoryMap memoryMap() { return map; }
    public PoolAllocator pool() { return pool; }
    public TrapDispatcher traps() { return traps; }
    public ServiceTrace trace() { return trace; }
    public HandleDatabase handles() { return handles; }
    public LoadedImages images() { return images; }
    /** The screen a Graphics Output Protocol draws on (screenshots read it). */
    public dev.efiemu.core.display.Display display() { return display; }
    public boolean bootServicesActive() { return bootServicesActive; }
    public dev.efiemu.core.machine.ExecutionControl control() { return control; }

    /** Puts a debugger in the run loop (null removes it). Set before the run starts. */
    public void control(dev.efiemu.core.machine.ExecutionControl c) {
        this.control = c;
    }

    public void endBootServices() {
        bootServicesActive = false;
    }

    /**
     * Firmware-owned pool memory (tables, interfaces, handles, events), zeroed: the guest's FreePool
     * refuses it (EFI_INVALID_PARAMETER), so a payload cannot free the system table under the firmware.
     */
    public long allocatePool(MemoryType type, long size) {
        long a = pool.allocatePinned(type.code(), size);
        memory.fill(a, size, 0);
        return a;
    }

    /** Zeroed pool memory the firmware hands to the caller, who frees it (LocateHandleBuffer and the like). */
    public long allocateCallerPool(MemoryType type, long size) {
        long a = pool.allocate(type.code(), size);
        memory.fill(a, size, 0);
        return a;
    }

    /** Installs a protocol on a handle (a new one when {@code h} is null), as firmware-internal code. */
    public Handle installProtocol(Handle h, Guid guid, long iface) {
        Handle target = h != null ? h : handles.create();
        if (!handles.install(target, guid, iface, new ArrayList<>())) {
            throw new IllegalStateException(Guids.name(guid) + " already on " + target);
        }
        return target;
    }

    // ---- running guest code ----

    /**
     * Calls guest function {@code fn(args...)} and runs until it returns; services it calls are
     * dispatched on the way. Registers are restored afterwards, so this may be used from inside a
     * service handler (event notify functions, StartImage).
     */
    public long callGuest(long fn, long... args) {
        long[] saved = abi.saveRegisters(cpu);
        int depth = ++frameDepth;
        try {
            abi.prepareCall(cpu, fn, returnTrap.address(), args);
            runFrame(depth);
            return abi.result(cpu);
        } finally {
            frameDepth--;
            abi.restoreRegisters(cpu, saved);
        }
    }

    private void runFrame(int depth) {
        while (true) {
            long count = control == null ? 0 : control.beforeRun(this);
            RunResult r = count == 0 ? cpu.run(abi.pc(cpu), Cpu.FOREVER) : cpu.run(abi.pc(cpu), Cpu.FOREVER, count);
            if (budgetExceeded) throw new MachineHalt(fault(RunOutcome.Kind.BUDGET, "time budget of " + config.budgetMillis() + " ms exceeded", -1));
            if (pendingFault != null) {
                String f = pendingFault;
                pendingFault = null;
                throw new MachineHalt(fault(RunOutcome.Kind.FAULT, f, -1));
            }
            if (r.isFault()) {
                throw new MachineHalt(fault(RunOutcome.Kind.FAULT, describe(r), r.address()));
            }
            if (control != null && control.afterStop(this, r)) {
                traps.takePending();
                continue;
            }
            Service s = traps.takePending();
            if (s == null) {
                String why = r.kind() == RunResult.Kind.UNTIL || r.kind() == RunResult.Kind.STOPPED
                        ? "the engine stopped outside any service (HLT or a jump to the top of memory)" : describe(r);
                throw new MachineHalt(fault(RunOutcome.Kind.FAULT, why, -1));
            }
            if (s == returnTrap) {
                if (frameDepth != depth) throw new IllegalStateException("guest returned into an outer frame");
                return;
            }
            if (control != null) control.beforeService(this, s);
            try {
                traps.dispatch(s);
            } catch (dev.efiemu.core.trap.ServiceFault f) {
                throw new MachineHalt(fault(RunOutcome.Kind.FAULT, f.getMessage(), -1));
            }
        }
    }

    /**
     * Runs {@code body} (typically: start the payload) with the budget watchdog, turning every way
     * a run can end into a {@link RunOutcome}.
     */
    public RunOutcome run(java.util.function.LongSupplier body) {
        Timer watchdog = null;
        if (config.budgetMillis() > 0) {
            watchdog = new Timer("efiemu-budget", true);
            watchdog.schedule(new TimerTask() {
                @Override
                public void run() {
                    budgetExceeded = true;
                    // The run ends here: Unicorn corrupts guest stores when it resumes after an
                    // asynchronous stop (another thread's stop or a timeout).
                    cpu.stop();
                }
            }, config.budgetMillis());
        }
        try {
            long status = body.getAsLong();
            return new RunOutcome(RunOutcome.Kind.RETURNED, status, null, null, "payload returned " + Status.name(status));
        } catch (MachineHalt h) {
            return h.outcome();
        } finally {
            if (watchdog != null) watchdog.cancel();
        }
    }

    /**
     * Ends the run when its time budget is spent. For handlers that loop without running guest
     * code (virtual time passing through a guest's periodic timers), where the engine's stop is
     * never seen.
     */
    public void checkBudget() {
        if (budgetExceeded) throw new MachineHalt(fault(RunOutcome.Kind.BUDGET, "time budget of " + config.budgetMillis() + " ms exceeded", -1));
    }

    private RunOutcome fault(RunOutcome.Kind kind, String cause, long address) {
        long pc = abi.pc(cpu);
        byte[] code;
        try {
            code = cpu.read(pc, 16);
        } catch (RuntimeException e) {
            code = null;
        }
        String ret = null;
        try {
            long top = memory.u64(abi.sp(cpu));
            ret = String.format("0x%x  %s", top, where(top));
        } catch (RuntimeException e) {
            // stack unreadable: leave it out
        }
        FaultReport report = new FaultReport(cause, pc, where(pc), address, address == -1 ? "" : where(address), code,
                registers(), ret, trace.last());
        RunOutcome outcome = new RunOutcome(kind, 0, null, report, cause + " at " + where(pc));
        if (control != null) control.beforeFault(this, outcome);
        return outcome;
    }

    /** "vmlinuz+0x1234", "service BS.AllocatePages", "firmware stub area", or "outside any image". */
    public String where(long address) {
        LoadedImageRecord i = images.containing(address);
        if (i != null) return String.format("%s+0x%x", i.name(), address - i.base());
        Service s = traps.at(address);
        if (s != null) return "stub of " + s.name();
        MemoryMap.Region r = map.find(address);
        return r == null ? "unmapped" : "outside any image (" + r.typeName() + ")";
    }

    public Map<String, Long> registers() {
        Map<String, Long> m = new LinkedHashMap<>();
        Reg[] regs = config.arch() == Arch.X86_64 ? X86Reg.values() : Arm64Reg.values();
        for (Reg r : regs) {
            try {
                m.put(r.name(), cpu.reg(r));
            } catch (RuntimeException e) {
                // a register this engine cannot read: skip
            }
        }
        return m;
    }

    private String describe(RunResult r) {
        return switch (r.kind()) {
            case MEMORY_FAULT -> "memory fault (" + r.detail() + ")";
            case INVALID_INSTRUCTION -> "invalid instruction (" + r.detail() + ")";
            default -> String.valueOf(r.detail());
        };
    }

    private String describeInterrupt(int n) {
        if (config.arch() != Arch.X86_64) return "CPU exception " + n;
        String[] names = {"#DE divide error", "#DB debug", "NMI", "#BP breakpoint (int3)", "#OF overflow", "#BR bound",
            "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
            "#NP segment not present", "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
            "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD exception"};
        return n < names.length ? "CPU exception " + n + " " + names[n] : "interrupt " + n;
    }

    public long stackTop() {
        return stackTop;
    }

    private void setSp(long sp) {
        cpu.reg(config.arch() == Arch.X86_64 ? X86Reg.RSP : Arm64Reg.SP, sp);
    }

    @Override
    public void close() {
        cpu.close();
    }
}
