package dev.efiemu.cli;

import java.io.IOException;
import picocli.CommandLine.Command;

/**
 * {@code efiemu debug PAYLOAD}: {@code run} under gdb's control. The emulator serves the GDB remote
 * protocol (default 127.0.0.1:1234) and waits for gdb before the payload's first instruction, like
 * QEMU's {@code -s -S}. See docs/debugging.md.
 */
@Command(name = "debug", description = {
    "Run an EFI payload under gdb: serves the GDB remote protocol (--gdb, default " + GdbOptions.DEFAULT_ADDRESS + ")",
    "and waits for gdb before the first instruction. In gdb: target remote HOST:PORT, then monitor help."})
final class DebugCommand extends RunCommand {
    @Override
    public Integer call() throws IOException {
        if (gdb == null) gdb = GdbOptions.DEFAULT_ADDRESS;
        return super.call();
    }
}
