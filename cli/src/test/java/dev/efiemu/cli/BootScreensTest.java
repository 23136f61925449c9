package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.display.Framebuffer;
import dev.efiemu.fixtures.Fixtures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real boot programs that draw on the Graphics Output Protocol or wait at a menu (issue 15):
 * memtest86+ (Debian's memtest86+x64.efi) runs to ExitBootServices and, handed off to QEMU, draws
 * its first screen into efiemu's framebuffer (read back with QEMU's pmemsave); systemd-boot shows
 * its menu and follows --keys; rEFInd reaches its main menu.
 */
class BootScreensTest {
    @TempDir
    Path tmp;

    static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    static final Pattern SCREEN = Pattern.compile("screen: +(\\d+)x(\\d+) BGRX framebuffer at 0x([0-9a-f]+) \\((\\d+) pixels a scan line\\)");

    static Framebuffer screenOf(String out) {
        Matcher m = SCREEN.matcher(out);
        assertTrue(m.find(), out);
        return new Framebuffer(Long.parseLong(m.group(3), 16), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(4)), Framebuffer.PixelFormat.BGRX);
    }

    /** Share of the pixels in [x0,x1)x[y0,y1) that are {@code rgb}. */
    static double share(BufferedImage img, int rgb, int x0, int y0, int x1, int y1) {
        long n = 0, all = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++, all++) if ((img.getRGB(x, y) & 0xffffff) == rgb) n++;
        }
        return (double) n / all;
    }

    @Test
    void memtestDrawsItsFirstScreenAfterTheHandoff() throws Exception {
        Path elf = tmp.resolve("memtest.elf"), atEbs = tmp.resolve("ebs.png");
        CliRun.Result r = CliRun.run("run", fx().memtest().toString(), "--seed", "1", "--handoff", elf.toString(), "--screenshot", atEbs.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("EXIT_BOOT_SERVICES"), r.out());
        Framebuffer fb = screenOf(r.out());
        assertEquals(800, fb.width());
        // nothing is drawn before ExitBootServices: memtest86+ draws once it owns the machine
        BufferedImage before = ImageIO.read(atEbs.toFile());
        assertEquals(1.0, share(before, 0, 0, 0, 800, 600));

        BufferedImage shot = qemuScreen(elf, fb);
        ImageIO.write(shot, "png", tmp.resolve("memtest.png").toFile());
        // memtest86+ 6.x's first screen: a 640x400 text screen centred in 800x600, blue (0x0000aa)
        // under grey (0xaaaaaa) title and key-help bars, black around it.
        assertTrue(share(shot, 0x0000aa, 80, 100, 720, 500) > 0.5, "memtest's blue screen");
        assertTrue(share(shot, 0xaaaaaa, 80, 100, 300, 116) > 0.3, "the title bar (Memtest86+ v6.10)");
        assertTrue(share(shot, 0xaaaaaa, 80, 484, 720, 500) > 0.3, "the key-help bar");
        assertEquals(1.0, share(shot, 0, 0, 0, 800, 100), "black above the text screen");
    }

    /**
     * Boots the hand-off in QEMU (q35, 1 GiB, SeaBIOS) and reads efiemu's framebuffer out of the
     * guest's RAM with the monitor's pmemsave until the screen is mostly drawn (or 120 s pass).
     */
    static BufferedImage qemuScreen(Path elf, Framebuffer fb) throws IOException, InterruptedException {
        Path dir = elf.getParent(), raw = dir.resolve("fb.raw");
        Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "1G", "-display", "none",
                "-nodefaults", "-serial", "file:" + dir.resolve("serial.log"), "-no-reboot", "-kernel", elf.toString(), "-monitor", "stdio"))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("monitor.log").toFile()).start();
        try (OutputStream monitor = p.getOutputStream()) {
            BufferedImage img = null;
            for (int i = 0; i < 60 && p.isAlive(); i++) {
                Thread.sleep(2000);
                Files.deleteIfExists(raw);
                // a relative name: the monitor reads "SIZE /path" as a division
                monitor.write(String.format("pmemsave 0x%x %d %s%n", fb.base(), fb.bytes(), raw.getFileName()).getBytes(StandardCharsets.US_ASCII));
                monitor.flush();
                for (int w = 0; w < 50 && !(Files.exists(raw) && Files.size(raw) == fb.bytes()); w++) Thread.sleep(100);
                if (!Files.exists(raw) || Files.size(raw) != fb.bytes()) continue;
                img = fb.image(Files.readAllBytes(raw));
                if (share(img, 0x0000aa, 80, 100, 720, 500) > 0.5) return img;
            }
            assertTrue(img != null, "QEMU saved no framebuffer: " + Files.readString(dir.resolve("monitor.log"), StandardCharsets.ISO_8859_1));
            return img;
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** An ESP with systemd-boot as the removable-media loader and the test UKI as a Type #2 entry, a 5 s menu timeout. */
    Path systemdBootEsp() throws IOException {
        Path esp = tmp.resolve("esp");
        Files.createDirectories(esp.resolve("EFI/BOOT"));
        Files.createDirectories(esp.resolve("EFI/Linux"));
        Files.createDirectories(esp.resolve("loader"));
        Files.copy(fx().systemdBoot(), esp.resolve("EFI/BOOT/BOOTX64.EFI"));
        Files.copy(fx().uki(), esp.resolve("EFI/Linux/test-uki.efi"));
        Files.writeString(esp.resolve("loader/loader.conf"), "timeout 5\n");
        return esp;
    }

    @Test
    void systemdBootShowsItsMenuAndFollowsKeys() throws Exception {
        Path esp = systemdBootEsp();
        String loader = esp.resolve("EFI/BOOT/BOOTX64.EFI").toString();
        // a key press stops the countdown: the menu stays, waiting for the next key, which never comes
        CliRun.Result stay = CliRun.run("run", loader, "--esp", esp.toString(), "--seed", "1", "--keys", " ");
        assertTrue(stay.out().contains("WAITING_FOR_INPUT"), stay.out());
        assertTrue(stay.out().contains("efiemu test UKI (linux-image-"), "the UKI's entry in the menu:\n" + stay.out());
        assertFalse(stay.out().contains("EXIT_BOOT_SERVICES"), stay.out());
        // ... and Enter boots the selected entry: the UKI's stub exits the boot services
        CliRun.Result boot = CliRun.run("run", loader, "--esp", esp.toString(), "--seed", "1", "--keys", " \n");
        assertEquals(0, boot.exit(), boot.out() + boot.err());
        assertTrue(boot.out().contains("EXIT_BOOT_SERVICES"), boot.out());
        assertTrue(boot.out().contains("efiemu test UKI (linux-image-"), boot.out());
    }

    @Test
    void refindReachesItsMainMenu() throws Exception {
        Path esp = tmp.resolve("esp");
        Files.createDirectories(esp.resolve("EFI/refind"));
        Path refind = Files.copy(fx().refind(), esp.resolve("EFI/refind/refind_x64.efi"));
        // rEFInd lists volumes by BlockIo handles: its own volume must have one (docs/protocols.md). A directory ESP's
        // handle has a read-only FAT view; --esp-disk adds the GPT disk around it.
        for (String[] extra : List.of(new String[0], new String[] {"--esp-disk"})) {
            List<String> args = new java.util.ArrayList<>(List.of("run", refind.toString(), "--esp", esp.toString(), "--seed", "1"));
            args.addAll(List.of(extra));
            CliRun.Result r = CliRun.run(args.toArray(new String[0]));
            assertTrue(r.out().contains("WAITING_FOR_INPUT"), args + "\n" + r.out() + r.err());
            assertTrue(r.out().contains("rEFInd - Main Menu"), r.out());
            assertTrue(r.out().contains("Screen Output: Graphics Output (UEFI), 800x600"), "rEFInd's About screen names efiemu's GOP:\n" + r.out());
        }
    }
}
