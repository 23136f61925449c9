package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.display.Framebuffer;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.fixtures.TestApps;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GOP modes, SetMode and the four Blt operations (gop.c), read back from a PNG screenshot's pixels. */
class GraphicsOutputTest {
    @Test
    void bltOperationsAndDirectWritesShowInTheScreenshot(@TempDir Path dir) throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/gop.c"), "x86_64"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        MachineConfig cfg = MachineConfig.defaults().withBudget(60_000).withConsole(new PrintStream(console, true));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null);
            GraphicsOutput gop = GraphicsOutput.install(fw, std.conOut().handle(), GraphicsOutput.Screen.qemu());
            RunOutcome o = fw.runPayload(app, "gop.efi", null, 0, DevicePath.filePath("\\gop.efi"));
            String why = o.fault() != null ? o.fault().format() : o.message() + " line " + (o.status() & 0xfffff);
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(0, o.status(), why);
            assertTrue(console.toString().contains("gop:ok"), console.toString());
            assertEquals(1, fw.machine().traps().unsupportedCalls().get("GOP.SetMode(mode 3)"));

            Framebuffer fb = fw.machine().display().framebuffer();
            assertNotNull(fb);
            assertEquals(fb, gop.framebuffer());
            // reserved RAM, kept out of the allocator and the hand-off
            MemoryMap.Region r = fw.machine().memoryMap().find(fb.base());
            assertEquals(MemoryType.RESERVED.code(), r.type());
            assertTrue(r.fixed() && r.end() >= fb.base() + fb.bytes());

            Path png = dir.resolve("screen.png");
            fb.writePng(fw.memory(), png);
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(1024, img.getWidth());
            assertEquals(768, img.getHeight());
            assertEquals(0x000080, img.getRGB(0, 0) & 0xffffff);
            assertEquals(0xff0000, img.getRGB(100, 100) & 0xffffff);
            assertEquals(0xff0000, img.getRGB(299, 199) & 0xffffff);
            assertEquals(0x000080, img.getRGB(300, 200) & 0xffffff);
            assertEquals(0xff0000, img.getRGB(600, 500) & 0xffffff); // the VideoToVideo copy
            assertEquals(0xff0000, img.getRGB(799, 599) & 0xffffff);
            assertEquals(0x000080, img.getRGB(800, 600) & 0xffffff);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) assertEquals((16 * x) << 16 | (16 * y) << 8 | 0x40, img.getRGB(400 + x, 300 + y) & 0xffffff);
            }
            assertEquals(0x00ff00, img.getRGB(1023, 767) & 0xffffff);
            assertEquals(0x000080, img.getRGB(1022, 767) & 0xffffff);
        }
    }
}
