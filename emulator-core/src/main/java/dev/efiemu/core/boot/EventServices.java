package dev.efiemu.core.boot;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineHalt;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events, timers and task priority levels (UEFI spec §7.1) on a virtual clock: time passes only
 * when the payload stalls or waits, so runs are reproducible. Notify functions are guest code,
 * called through {@link Machine#callGuest}.
 */
public final class EventServices {
    public static final int EVT_TIMER = 0x80000000, EVT_RUNTIME = 0x40000000, EVT_NOTIFY_WAIT = 0x100,
            EVT_NOTIFY_SIGNAL = 0x200, EVT_SIGNAL_EXIT_BOOT_SERVICES = 0x201, EVT_SIGNAL_VIRTUAL_ADDRESS_CHANGE = 0x60000202;
    public static final int TPL_APPLICATION = 4, TPL_CALLBACK = 8, TPL_NOTIFY = 16, TPL_HIGH_LEVEL = 31;
    /** How much virtual time a WaitForEvent may let pass before we decide nothing will ever happen. */
    static final long WAIT_LIMIT = 3600L * 10_000_000L;

    static final class Event {
        final long address;
        final int type, tpl;
        final long notify, context;
        final Guid group;
        boolean signaled;
        /** A firmware wait event's condition (ConIn.WaitForKey: a key is pending), checked when the payload checks or waits. */
        java.util.function.BooleanSupplier ready;
        int timerType;
        long period, due = -1;

        Event(long address, int type, int tpl, long notify, long context, Guid group) {
            this.address = address;
            this.type = type;
            this.tpl = tpl;
            this.notify = notify;
            this.context = context;
            this.group = group;
        }
    }

    private final Machine m;
    private final GuestMemory mem;
    private final Map<Long, Event> events = new LinkedHashMap<>();
    private final List<Event> queued = new ArrayList<>();
    private int tpl = TPL_APPLICATION;
    /** Virtual time in 100 ns units. */
    private long now;
    private long monotonic;
    /** Virtual time at which the watchdog resets the machine; -1 when disarmed. */
    private long watchdogDue = -1;
    private long watchdogSeconds;

    public EventServices(Machine m) {
        this.m = m;
        this.mem = m.memory();
    }

    public void register(ServiceRegistry<BootService> r) {
        r.add(BootService.RAISE_TPL, this::raiseTpl);
        r.add(BootService.RESTORE_TPL, this::restoreTpl);
        r.add(BootService.CREATE_EVENT, c -> create(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), 0, c.arg(4)));
        r.add(BootService.CREATE_EVENT_EX, c -> create(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4), c.arg(5)));
        r.add(BootService.SET_TIMER, this::setTimer);
        r.add(BootService.WAIT_FOR_EVENT, this::waitForEvent);
        r.add(BootService.SIGNAL_EVENT, c -> {
            if (!events.containsKey(c.arg(0))) return Status.INVALID_PARAMETER;
            signal(c.arg(0));
            return Status.SUCCESS;
        });
        r.add(BootService.CLOSE_EVENT, this::close);
        r.add(BootService.CHECK_EVENT, c -> check(c.arg(0)));
        r.add(BootService.STALL, c -> {
            advance(Long.compareUnsigned(c.arg(0), Long.MAX_VALUE / 10) > 0 ? Long.MAX_VALUE : c.arg(0) * 10);
            return Status.SUCCESS;
        });
        r.add(BootService.SET_WATCHDOG_TIMER, this::setWatchdogTimer);
        r.add(BootService.GET_NEXT_MONOTONIC_COUNT, c -> {
            if (c.arg(0) == 0) return Status.INVALID_PARAMETER;
            mem.u64(c.arg(0), ++monotonic);
            return Status.SUCCESS;
        });
    }

    public long now() {
        return now;
    }

    /**
     * §7.5 SetWatchdogTimer: Timeout seconds of virtual time from now (0 disarms). When they have
     * passed, the firmware resets the machine as edk2's watchdog does (ResetSystem(EfiResetCold,
     * EFI_TIMEOUT)): the run ends RESET with EFI_TIMEOUT. The firmware arms none by itself.
     */
    long setWatchdogTimer(Call c) {
        long seconds = c.arg(0);
        if (seconds == 0) {
            watchdogDue = -1;
            c.note("disarmed");
        } else {
            watchdogSeconds = seconds;
            long ticks = Long.compareUnsigned(seconds, Long.MAX_VALUE / 10_000_000L) > 0 ? Long.MAX_VALUE : seconds * 10_000_000L;
            watchdogDue = ticks > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ticks;
            c.note("fires in " + Long.toUnsignedString(seconds) + " s of virtual time");
        }
        return Status.SUCCESS;
    }

    private void watchdogFires() {
        now = watchdogDue;
        throw new MachineHalt(new RunOutcome(RunOutcome.Kind.RESET, Status.TIMEOUT, null, null,
                "the watchdog timer fired after " + Long.toUnsignedString(watchdogSeconds)
                        + " s of virtual time: the firmware reset the machine (ResetSystem(cold, TIMEOUT))"));
    }

    long raiseTpl(Call c) {
        int old = tpl;
        tpl = (int) c.arg(0);
        return old;
    }

    long restoreTpl(Call c) {
        tpl = (int) c.arg(0);
        dispatchQueued();
        return 0;
    }

    long create(Call c, long type, long notifyTpl, long fn, long ctx, long groupPtr, long eventPtr) {
        if (eventPtr == 0) return Status.INVALID_PARAMETER;
        int t = (int) type;
        if ((t & (EVT_NOTIFY_SIGNAL | EVT_NOTIFY_WAIT)) != 0) {
            if (fn == 0 || notifyTpl <= TPL_APPLICATION || notifyTpl > TPL_HIGH_LEVEL) return Status.INVALID_PARAMETER;
        }
        Guid group = groupPtr != 0 ? mem.guid(groupPtr) : null;
        if (t == EVT_SIGNAL_EXIT_BOOT_SERVICES) group = Guids.EVENT_GROUP_EXIT_BOOT_SERVICES;
        if (t == EVT_SIGNAL_VIRTUAL_ADDRESS_CHANGE) group = Guids.EVENT_GROUP_VIRTUAL_ADDRESS_CHANGE;
        long address = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 16);
        events.put(address, new Event(address, t, (int) notifyTpl, fn, ctx, group));
        mem.u64(eventPtr, address);
        if (group != null) c.note("group " + Guids.name(group));
        return Status.SUCCESS;
    }

    /** A plain wait event owned by the firmware; signal it with {@link #signal}. */
    public long createFirmwareEvent() {
        return createFirmwareEvent(null);
    }

    /**
     * A firmware wait event that is signalled whenever {@code ready} holds when the payload checks
     * or waits on it (ConIn.WaitForKey: while a key is pending), as edk2's notify-wait events are.
     */
    public long createFirmwareEvent(java.util.function.BooleanSupplier ready) {
        long address = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 16);
        Event e = new Event(address, 0, TPL_APPLICATION, 0, 0, null);
        e.ready = ready;
        events.put(address, e);
        return address;
    }

    long setTimer(Call c) {
        Event e = events.get(c.arg(0));
        if (e == null || (e.type & EVT_TIMER) == 0 || c.arg(1) > 2) return Status.INVALID_PARAMETER;
        e.timerType = (int) c.arg(1);
        e.period = c.arg(2) < 0 ? Long.MAX_VALUE : c.arg(2); // TriggerTime is unsigned
        e.due = e.timerType == 0 ? -1 : later(Math.max(1, e.period));
        return Status.SUCCESS;
    }

    long close(Call c) {
        Event e = events.remove(c.arg(0));
        if (e == null) return Status.INVALID_PARAMETER;
        queued.remove(e);
        m.handles().forgetNotifiesOf(e.address);
        return Status.SUCCESS;
    }

    long check(long address) {
        Event e = events.get(address);
        if (e == null || (e.type & EVT_NOTIFY_SIGNAL) != 0) return Status.INVALID_PARAMETER;
        if (!e.signaled && (e.type & EVT_NOTIFY_WAIT) != 0) m.callGuest(e.notify, e.address, e.context);
        if (!e.signaled && e.ready != null && e.ready.getAsBoolean()) e.signaled = true;
        if (e.signaled) {
            e.signaled = false;
            return Status.SUCCESS;
        }
        return Status.NOT_READY;
    }

    long waitForEvent(Call c) {
        long n = c.arg(0), list = c.arg(1), indexPtr = c.arg(2);
        if (tpl != TPL_APPLICATION) return c.unsupported("at TPL " + tpl);
        if (n == 0 || list == 0 || indexPtr == 0) return Status.INVALID_PARAMETER;
        long start = now;
        while (true) {
            for (long i = 0; i < n; i++) {
                long st = check(mem.u64(list + 8 * i));
                if (st == Status.SUCCESS) {
                    mem.u64(indexPtr, i);
                    return Status.SUCCESS;
                }
                if (st == Status.INVALID_PARAMETER) {
                    mem.u64(indexPtr, i);
                    return st;
                }
            }
            long next = nextDue();
            if (watchdogDue >= 0 && (next < 0 || watchdogDue < next)) next = watchdogDue;
            if (next < 0 || next - start > WAIT_LIMIT) {
                for (long i = 0; i < n; i++) {
                    Event e = events.get(mem.u64(list + 8 * i));
                    if (e != null && e.ready != null) {
                        throw new MachineHalt(new RunOutcome(RunOutcome.Kind.WAITING_FOR_INPUT, 0, null, null,
                                "the payload waits for keyboard input that will never come (script key presses with --keys)"));
                    }
                }
                throw new MachineHalt(new RunOutcome(RunOutcome.Kind.FAULT, 0, null, null,
                        "the payload waits for an event that can never be signalled here"));
            }
            advance(next - now);
        }
    }

    /** {@code now + ticks}, saturating at the end of (virtual) time. */
    private long later(long ticks) {
        return ticks > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ticks;
    }

    private long nextDue() {
        long best = -1;
        for (Event e : events.values()) if (e.due >= 0 && (best < 0 || e.due < best)) best = e.due;
        return best;
    }

    /** Lets virtual time pass, firing timers as they fall due. */
    public void advance(long ticks) {
        long target = ticks > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ticks;
        while (true) {
            long next = nextDue();
            if (watchdogDue >= 0 && watchdogDue <= target && (next < 0 || watchdogDue < next)) watchdogFires();
            m.checkBudget(); // a guest's 1-tick periodic timer over a long Stall is many iterations
            if (next < 0 || next > target) break;
            now = next;
            for (Event e : List.copyOf(events.values())) {
                if (e.due >= 0 && e.due <= now) {
                    e.due = e.timerType == 1 && e.period > 0 ? later(e.period) : -1;
                    signal(e.address);
                }
            }
        }
        now = target;
    }

    /** SignalEvent semantics, including event groups (§7.1 CreateEventEx). */
    public void signal(long address) {
        Event e = events.get(address);
        if (e == null) return;
        List<Event> targets = new ArrayList<>();
        if (e.group != null) {
            for (Event o : events.values()) if (e.group.equals(o.group)) targets.add(o);
        } else {
            targets.add(e);
        }
        for (Event t : targets) signalOne(t);
    }

    /** Signals every event of a group (ExitBootServices, ReadyToBoot...). */
    public void signalGroup(Guid group) {
        for (Event o : List.copyOf(events.values())) if (group.equals(o.group)) signalOne(o);
    }

    private void signalOne(Event e) {
        if ((e.type & EVT_NOTIFY_SIGNAL) != 0) {
            if (e.tpl > tpl) {
                notifyNow(e);
            } else if (!queued.contains(e)) {
                queued.add(e);
            }
        } else {
            e.signaled = true;
        }
    }

    private void notifyNow(Event e) {
        int saved = tpl;
        tpl = e.tpl;
        try {
            m.callGuest(e.notify, e.address, e.context);
        } finally {
            tpl = saved;
        }
    }

    private void dispatchQueued() {
        while (true) {
            Event next = null;
            for (Event e : queued) if (e.tpl > tpl && (next == null || e.tpl > next.tpl)) next = e;
            if (next == null) return;
            queued.remove(next);
            notifyNow(next);
        }
    }

}
