package dev.efiemu.protocols;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import java.io.PrintStream;
import java.util.List;

/**
 * EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL (UEFI spec §12.4) writing to the user's terminal: one 80x25
 * text mode; colours and cursor moves are accepted and ignored. Everything printed is also kept
 * for the run summary and tests.
 */
public final class ConsoleOutput {
    public static final Guid GUID = Guids.define("387477c2-69c7-11d2-8e39-00a0c969723b", "SimpleTextOutput");
    static final int MODE_OFFSET = 9 * 8;

    private final PrintStream out;
    private final StringBuilder transcript = new StringBuilder();
    private final Handle handle;
    private final long iface;
    private final long mode;

    public ConsoleOutput(Machine m, String name, PrintStream out) {
        this.out = out;
        this.iface = m.newInterface(name, List.of(
                new Machine.FunctionSpec("Reset", 2, c -> Status.SUCCESS),
                new Machine.FunctionSpec("OutputString", 2, this::outputString),
                new Machine.FunctionSpec("TestString", 2, c -> Status.SUCCESS),
                new Machine.FunctionSpec("QueryMode", 4, this::queryMode),
                new Machine.FunctionSpec("SetMode", 2, c -> c.arg(1) == 0 ? Status.SUCCESS : c.unsupported("mode " + c.arg(1))),
                new Machine.FunctionSpec("SetAttribute", 2, c -> setMode(m, 2, c.arg(1))),
                new Machine.FunctionSpec("ClearScreen", 1, c -> Status.SUCCESS),
                new Machine.FunctionSpec("SetCursorPosition", 3, c -> Status.SUCCESS),
                new Machine.FunctionSpec("EnableCursor", 2, c -> Status.SUCCESS)), 8);
        // SIMPLE_TEXT_OUTPUT_MODE {i32 MaxMode, Mode, Attribute, CursorColumn, CursorRow; BOOLEAN CursorVisible}
        mode = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 24);
        m.memory().u32(mode, 1);
        m.memory().u32(mode + 4, 0);
        m.memory().u32(mode + 8, 0x07);
        m.memory().u64(iface + MODE_OFFSET, mode);
        handle = m.installProtocol(null, GUID, iface);
    }

    private long setMode(Machine m, int field, long value) {
        m.memory().u32(mode + 4L * field, value);
        return Status.SUCCESS;
    }

    long outputString(Call c) {
        String s = c.memory().utf16z(c.arg(1), 1 << 16);
        if (s == null) return Status.INVALID_PARAMETER;
        String text = s.replace("\r\n", "\n").replace("\r", "");
        transcript.append(text);
        out.print(text);
        out.flush();
        c.note('"' + s.strip().replace("\r", "").replace("\n", "\\n") + '"');
        return Status.SUCCESS;
    }

    long queryMode(Call c) {
        if (c.arg(1) != 0) return c.unsupported("mode " + c.arg(1));
        if (c.arg(2) != 0) c.memory().u64(c.arg(2), 80);
        if (c.arg(3) != 0) c.memory().u64(c.arg(3), 25);
        return Status.SUCCESS;
    }

    public Handle handle() {
        return handle;
    }

    public long iface() {
        return iface;
    }

    /** Everything the payload printed here. */
    public String transcript() {
        return transcript.toString();
    }
}
