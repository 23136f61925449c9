package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.fixtures.TestApps;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ConOut's Mode follows the cursor; ConIn's WaitForKey is signalled before every scripted key (console.c). */
class ConsoleTest {
    @Test
    void cursorMovesAndWaitForKeyIsSignalledBeforeEachKey() throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/console.c"), "x86_64"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        MachineConfig cfg = MachineConfig.defaults().withBudget(60_000).withConsole(new PrintStream(console, true));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols.install(fw, null, "abc");
            RunOutcome o = fw.runPayload(app, "console.efi", null, 0, DevicePath.filePath("\\console.efi"));
            String why = o.fault() != null ? o.fault().format() : o.message() + " line " + (o.status() & 0xfffff);
            // every check passed, all three keys were read after a wait each, then it waited for a fourth
            assertTrue(console.toString().contains("keys:abc"), console + " / " + why);
            assertEquals(RunOutcome.Kind.WAITING_FOR_INPUT, o.kind(), why);
            assertEquals(1, fw.machine().traps().unsupportedCalls().get("ConOut.SetCursorPosition(position 80,0)"));
        }
    }
}
