package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
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

    public ConsoleOutput(ProtocolHost host, String name, PrintStream out) {
        this.out = out;
        this.iface = host.newInterface(name, List.of(
                new FunctionSpec("Reset", c -> Status.SUCCESS, "This", "ExtendedVerification"),
                new FunctionSpec("OutputString", this::outputString, "This", "String"),
                new FunctionSpec("TestString", c -> Status.SUCCESS, "This", "String"),
                new FunctionSpec("QueryMode", this::queryMode, "This", "ModeNumber", "Columns", "Rows"),
                new FunctionSpec("SetMode", c -> c.arg(1) == 0 ? Status.SUCCESS : Status.UNSUPPORTED, "This", "ModeNumber"),
                new FunctionSpec("SetAttribute", c -> setMode(host, 2, c.arg(1)), "This", "Attribute"),
                new FunctionSpec("ClearScreen", c -> Status.SUCCESS, "This"),
                new FunctionSpec("SetCursorPosition", c -> Status.SUCCESS, "This", "Column", "Row"),
                new FunctionSpec("EnableCursor", c -> Status.SUCCESS, "This", "Visible")), 8);
        // SIMPLE_TEXT_OUTPUT_MODE {i32 MaxMode, Mode, Attribute, CursorColumn, CursorRow; BOOLEAN CursorVisible}
        mode = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, 24);
        host.memory().u32(mode, 1);
        host.memory().u32(mode + 4, 0);
        host.memory().u32(mode + 8, 0x07);
        host.memory().u64(iface + MODE_OFFSET, mode);
        handle = host.installProtocol(null, GUID, iface);
    }

    private long setMode(ProtocolHost host, int field, long value) {
        host.memory().u32(mode + 4L * field, value);
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
        if (c.arg(1) != 0) return Status.UNSUPPORTED;
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
