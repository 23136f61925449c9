package dev.efiemu.protocols;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.MachineHalt;
import dev.efiemu.core.RunOutcome;
import dev.efiemu.core.Status;
import dev.efiemu.core.boot.EventServices;
import dev.efiemu.core.handles.Handle;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * EFI_SIMPLE_TEXT_INPUT_PROTOCOL (UEFI spec §12.3): keys come only from what the user scripted
 * ({@code --keys}); with none, ReadKeyStroke answers EFI_NOT_READY. WaitForKey is an event that is
 * signalled while keys are pending, before each key; waiting on it with none left ends the run
 * (WAITING_FOR_INPUT).
 */
public final class ConsoleInput {
    public static final Guid GUID = Guids.define("387477c1-69c7-11d2-8e39-00a0c969723b", "SimpleTextInput");

    private final Deque<Character> keys = new ArrayDeque<>();
    private final Handle handle;
    private final long iface;

    public ConsoleInput(Machine m, String scripted) {
        if (scripted != null) for (char ch : scripted.toCharArray()) keys.add(ch);
        iface = m.newInterface("ConIn", List.of(
                new Machine.FunctionSpec("Reset", 2, c -> Status.SUCCESS),
                new Machine.FunctionSpec("ReadKeyStroke", 2, c -> {
                    if (keys.isEmpty()) return noKey(m);
                    idleSince = -1;
                    char ch = keys.poll();
                    c.memory().u16(c.arg(1), 0); // EFI_INPUT_KEY.ScanCode
                    c.memory().u16(c.arg(1) + 2, ch == '\n' ? '\r' : ch);
                    return Status.SUCCESS;
                })), 8);
        // WaitForKey: an event the firmware signals while keys are pending.
        m.memory().u64(iface + 16, createWaitEvent(m));
        handle = m.installProtocol(null, GUID, iface);
    }

    /**
     * An empty poll lets 1 ms of virtual time pass, as scanning a real keyboard would, so menus
     * that count down while polling do time out. Polling on for {@link #GIVE_UP} of virtual time
     * with nothing scripted left ends the run: no key will ever come.
     */
    private long noKey(Machine m) {
        EventServices ev = EventServices.of(m);
        ev.advance(POLL_TICKS);
        if (idleSince < 0) idleSince = ev.now();
        if (ev.now() - idleSince > GIVE_UP) {
            throw new MachineHalt(new RunOutcome(RunOutcome.Kind.WAITING_FOR_INPUT, 0, null, null,
                    "the payload waits for keyboard input that will never come (script key presses with --keys)"));
        }
        return Status.NOT_READY;
    }

    static final long POLL_TICKS = 10_000; // 1 ms in 100 ns units
    static final long GIVE_UP = 120L * 10_000_000; // 120 s of virtual time
    private long idleSince = -1;

    private long createWaitEvent(Machine m) {
        // Signalled whenever a key is pending when the payload checks or waits: before every key.
        return EventServices.of(m).createFirmwareEvent(() -> !keys.isEmpty());
    }

    public Handle handle() {
        return handle;
    }

    public long iface() {
        return iface;
    }
}
