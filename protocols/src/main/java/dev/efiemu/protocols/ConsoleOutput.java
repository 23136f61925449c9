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
 * text mode. Mode tracks the attribute and the cursor as a real console would (printing moves it,
 * wrapping at column 80 and scrolling at row 25; CR, LF and BS; ClearScreen, SetCursorPosition,
 * EnableCursor); the terminal itself gets the text only, no colours or cursor moves. Everything
 * printed is also kept for the run summary and tests.
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
        this.memory = host.memory();
        this.iface = host.newInterface(name, List.of(
                new FunctionSpec("Reset", c -> {
                    setAttribute(0x07);
                    return cursor(0, 0);
                }, "This", "ExtendedVerification"),
                new FunctionSpec("OutputString", this::outputString, "This", "String"),
                new FunctionSpec("TestString", c -> Status.SUCCESS, "This", "String"),
                new FunctionSpec("QueryMode", this::queryMode, "This", "ModeNumber", "Columns", "Rows"),
                new FunctionSpec("SetMode", c -> c.arg(1) == 0 ? cursor(0, 0) : c.unsupported("mode " + c.arg(1)), "This", "ModeNumber"),
                new FunctionSpec("SetAttribute", c -> setAttribute(c.arg(1)), "This", "Attribute"),
                new FunctionSpec("ClearScreen", c -> cursor(0, 0), "This"),
                new FunctionSpec("SetCursorPosition", this::setCursorPosition, "This", "Column", "Row"),
                new FunctionSpec("EnableCursor", c -> enableCursor(c.arg(1)), "This", "Visible")), 8);
        // SIMPLE_TEXT_OUTPUT_MODE {i32 MaxMode, Mode, Attribute, CursorColumn, CursorRow; BOOLEAN CursorVisible}
        mode = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, 24);
        memory.u32(mode, 1);
        memory.u32(mode + 4, 0);
        memory.u32(mode + 8, 0x07);
        memory.u8(mode + CURSOR_VISIBLE, 1);
        memory.u64(iface + MODE_OFFSET, mode);
        handle = host.installProtocol(null, GUID, iface);
    }

    static final int COLUMNS = 80, ROWS = 25, ATTRIBUTE = 8, CURSOR_COLUMN = 12, CURSOR_ROW = 16, CURSOR_VISIBLE = 20;
    private final dev.efiemu.core.memory.GuestMemory memory;
    private int column, row;

    private long enableCursor(long visible) {
        memory.u8(mode + CURSOR_VISIBLE, visible == 0 ? 0 : 1);
        return Status.SUCCESS;
    }

    /** SetAttribute: foreground in bits 0-3, background in bits 4-6 (§12.4.7); anything else is invalid. */
    private long setAttribute(long value) {
        if ((value & ~0x7fL) != 0) return Status.INVALID_PARAMETER;
        memory.u32(mode + ATTRIBUTE, value);
        return Status.SUCCESS;
    }

    /** SetCursorPosition(This, Column, Row): EFI_UNSUPPORTED outside the 80x25 mode (§12.4.9). */
    private long setCursorPosition(Call c) {
        long col = c.arg(1), r = c.arg(2);
        if (Long.compareUnsigned(col, COLUMNS) >= 0 || Long.compareUnsigned(r, ROWS) >= 0) {
            return c.unsupported("position " + Long.toUnsignedString(col) + "," + Long.toUnsignedString(r));
        }
        return cursor((int) col, (int) r);
    }

    private long cursor(int col, int r) {
        column = col;
        row = r;
        memory.u32(mode + CURSOR_COLUMN, col);
        memory.u32(mode + CURSOR_ROW, r);
        return Status.SUCCESS;
    }

    /** Moves the cursor as printing {@code s} does: wrap after column 79, scroll (stay) on the last row. */
    private void advanceCursor(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\r' -> column = 0;
                case '\n' -> row = Math.min(ROWS - 1, row + 1);
                case '\b' -> column = Math.max(0, column - 1);
                default -> {
                    if (ch < 0x20) break;
                    if (++column == COLUMNS) {
                        column = 0;
                        row = Math.min(ROWS - 1, row + 1);
                    }
                }
            }
        }
        memory.u32(mode + CURSOR_COLUMN, column);
        memory.u32(mode + CURSOR_ROW, row);
    }

    long outputString(Call c) {
        String s = c.memory().utf16z(c.arg(1), 1 << 16);
        if (s == null) return Status.INVALID_PARAMETER;
        advanceCursor(s);
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
