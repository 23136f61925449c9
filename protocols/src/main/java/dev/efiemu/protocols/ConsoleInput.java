package dev.efiemu.protocols;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.boot.EventServices;
import dev.efiemu.core.handles.Handle;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * EFI_SIMPLE_TEXT_INPUT_PROTOCOL (UEFI spec §12.3): keys come only from what the user scripted
 * ({@code --keys}); with none, ReadKeyStroke answers EFI_NOT_READY. WaitForKey is an event that is
 * signalled while keys are pending.
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
                    if (keys.isEmpty()) return Status.NOT_READY;
                    char ch = keys.poll();
                    c.memory().u16(c.arg(1), 0); // EFI_INPUT_KEY.ScanCode
                    c.memory().u16(c.arg(1) + 2, ch == '\n' ? '\r' : ch);
                    return Status.SUCCESS;
                })), 8);
        // WaitForKey: an event the firmware signals while keys are pending.
        m.memory().u64(iface + 16, createWaitEvent(m));
        handle = m.installProtocol(null, GUID, iface);
    }

    private long createWaitEvent(Machine m) {
        // A plain event (no notify function): signalled now if keys were scripted.
        var events = EventServices.of(m);
        long ev = events.createFirmwareEvent();
        if (!keys.isEmpty()) events.signal(ev);
        return ev;
    }

    public Handle handle() {
        return handle;
    }

    public long iface() {
        return iface;
    }
}
