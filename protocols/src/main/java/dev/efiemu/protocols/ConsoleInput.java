package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.machine.MachineHalt;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
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

    public ConsoleInput(ProtocolHost host, String scripted) {
        if (scripted != null) for (char ch : scripted.toCharArray()) keys.add(ch);
        iface = host.newInterface("ConIn", List.of(
                new FunctionSpec("Reset", c -> Status.SUCCESS, "This", "ExtendedVerification"),
                new FunctionSpec("ReadKeyStroke", c -> readKeyStroke(host, c), "This", "Key")), 8);
        // WaitForKey: an event the firmware signals while keys are pending.
        host.memory().u64(iface + 16, createWaitEvent(host));
        handle = host.installProtocol(null, GUID, iface);
    }

    /** ReadKeyStroke(This, Key): the next scripted key, if any. */
    private long readKeyStroke(ProtocolHost host, Call c) {
        if (keys.isEmpty()) return noKey(host);
        idleSince = -1;
        char ch = keys.poll();
        c.memory().u16(c.arg(1), 0); // EFI_INPUT_KEY.ScanCode
        c.memory().u16(c.arg(1) + 2, ch == '\n' ? '\r' : ch);
        return Status.SUCCESS;
    }

    /**
     * An empty poll lets 1 ms of virtual time pass, as scanning a real keyboard would, so menus
     * that count down while polling do time out. Polling on for {@link #GIVE_UP} of virtual time
     * with nothing scripted left ends the run: no key will ever come.
     */
    private long noKey(ProtocolHost host) {
        host.advanceTime(POLL_TICKS);
        if (idleSince < 0) idleSince = host.now();
        if (host.now() - idleSince > GIVE_UP) throw waiting();
        return Status.NOT_READY;
    }

    static final long POLL_TICKS = 10_000; // 1 ms in 100 ns units
    static final long GIVE_UP = 120L * 10_000_000; // 120 s of virtual time
    private long idleSince = -1;

    /**
     * Signalled whenever a key is pending when the payload checks or waits: before every key. A
     * payload that only waits on it (systemd-boot's menu: WaitForEvent on WaitForKey and a 150 s
     * timer, re-armed forever) with nothing scripted left for {@link #GIVE_UP} of virtual time ends
     * the run as a polling one does.
     */
    private long createWaitEvent(ProtocolHost host) {
        return host.createEvent(() -> {
            if (!keys.isEmpty()) return true;
            if (idleSince < 0) idleSince = host.now();
            if (host.now() - idleSince > GIVE_UP) throw waiting();
            return false;
        });
    }

    private static MachineHalt waiting() {
        return new MachineHalt(new RunOutcome(RunOutcome.Kind.WAITING_FOR_INPUT, 0, null, null,
                "the payload waits for keyboard input that will never come (script key presses with --keys)"));
    }

    public Handle handle() {
        return handle;
    }

    public long iface() {
        return iface;
    }
}
