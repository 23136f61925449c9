package dev.efiemu.core.trap;

import dev.efiemu.core.efi.Status;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.cpu.Cpu;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traps firmware calls (docs/architecture.md, "Trapping services"). Every service is a real
 * 16-byte stub in a stub area of guest memory that returns EFI_UNSUPPORTED when executed; one entry
 * trap over the area ({@link Cpu#onEntry}) stops the engine when the guest enters a stub, before the stub runs. The run
 * loop then calls {@link #dispatch}, outside the engine, so a handler may call back into guest
 * code (events, images) freely.
 */
public final class TrapDispatcher {
    public static final int STUB_SIZE = 16;
    private static final Logger log = LoggerFactory.getLogger(TrapDispatcher.class);

    private final Cpu cpu;
    private final Abi abi;
    private final GuestMemory memory;
    private final long base;
    private final int capacity;
    private final List<Service> services = new ArrayList<>();
    private final ServiceTrace trace;
    private final Map<String, Integer> unsupported = new LinkedHashMap<>();
    private Service pending;

    public TrapDispatcher(Cpu cpu, Abi abi, GuestMemory memory, long base, long size, ServiceTrace trace) {
        this.cpu = cpu;
        this.abi = abi;
        this.memory = memory;
        this.base = base;
        this.capacity = (int) (size / STUB_SIZE);
        this.trace = trace;
        // Cpu.onEntry: the engine stops before the stub's first instruction (Unicorn makes the
        // area's pages non-executable and traps the fetch; docs/architecture.md, "Trapping services").
        cpu.onEntry(base, base + size - 1, (c, address, len) -> {
            long off = address - base;
            if (off % STUB_SIZE == 0 && off / STUB_SIZE < services.size()) {
                pending = services.get((int) (off / STUB_SIZE));
                c.stop();
            }
        });
    }

    /** Defines a service without parameter names: writes its stub and returns it. */
    public Service define(String name, int argc, Handler handler) {
        return define(name, argc, List.of(), handler);
    }

    /**
     * Defines a service: writes its stub and returns it (its address is what goes into a table).
     *
     * @param params the spec's parameter names, for the trace decoder
     */
    public Service define(String name, int argc, List<String> params, Handler handler) {
        if (services.size() >= capacity) throw new IllegalStateException("stub area full (" + capacity + " services)");
        long address = base + (long) services.size() * STUB_SIZE;
        cpu.write(address, abi.stubCode());
        Service s = new Service(name, argc, List.copyOf(params), address, handler);
        services.add(s);
        return s;
    }

    /** A service efiemu does not implement: answers EFI_UNSUPPORTED, logged and counted for the summary. */
    public Service unsupported(String name, int argc, List<String> params) {
        return define(name, argc, params, call -> {
            log.info("{}: not implemented, returning EFI_UNSUPPORTED", name);
            return Status.UNSUPPORTED;
        });
    }

    /** The service whose stub stopped the engine, consumed by this call; null if the stop had another cause. */
    public Service takePending() {
        Service s = pending;
        pending = null;
        return s;
    }

    /** Runs the handler of {@code s} for the call the guest just made and returns to the guest with its result. */
    public void dispatch(Service s) {
        Call call = new Call(s, cpu, abi, memory);
        int n = s.argc() < 0 ? 4 : s.argc();
        long[] args = new long[n];
        for (int i = 0; i < n; i++) args[i] = call.arg(i);
        long caller = abi.returnAddress(cpu);
        long result;
        try {
            result = memory.guarded(() -> s.handler().call(call));
        } catch (NoReturn | ServiceFault e) {
            // Control leaves the guest's call here (ExitBootServices, ResetSystem, Exit, a fault further in): no return value.
            trace.record(s, args, caller, null, (call.noteText() + " -> " + e.getMessage()).strip());
            throw e;
        } catch (dev.efiemu.cpu.CpuException | GuestMemory.BadGuestPointer e) {
            // The guest pointed the service at memory that is not there, or at firmware code:
            // real firmware would fault there too. The run ends with a report, never a host exception.
            String why = s.name() + " was given memory it cannot use: " + e.getMessage();
            trace.record(s, args, caller, null, (call.noteText() + " -> " + why).strip());
            throw new ServiceFault(why, e, false);
        } catch (RuntimeException e) {
            log.warn("efiemu error in {}", s.name(), e);
            String why = "efiemu error in " + s.name() + ": " + e;
            trace.record(s, args, caller, null, (call.noteText() + " -> " + why).strip());
            throw new ServiceFault(why, e, true);
        }
        if (result == Status.UNSUPPORTED) {
            String argument = call.unsupportedArgument();
            unsupported.merge(argument == null ? s.name() : s.name() + "(" + argument + ")", 1, Integer::sum);
        }
        trace.record(s, args, caller, result, call.noteText());
        abi.returnFromStub(cpu, result);
    }

    /** Every EFI_UNSUPPORTED answered, by "service" or "service(argument)", with how often. */
    public Map<String, Integer> unsupportedCalls() {
        return unsupported;
    }

    public boolean contains(long address) {
        return address >= base && address < base + (long) services.size() * STUB_SIZE;
    }

    public Service at(long address) {
        if (!contains(address)) return null;
        return services.get((int) ((address - base) / STUB_SIZE));
    }

    public List<Service> services() {
        return List.copyOf(services);
    }

    /** For listeners that want every call (trace printing, JSON). */
    public void onCall(Consumer<ServiceTrace.Entry> listener) {
        trace.listen(listener);
    }
}
