package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installer ISO fixture (built like Debian's netinst: shim and the CD GRUB in an El Torito EFI
 * image, the text installer under /install.amd) booted the way firmware boots a CD: no PAYLOAD,
 * {@code --disk installer.iso}, Secure Boot with the Microsoft keys of OVMF_VARS_4M.ms.fd. shim
 * verifies GRUB, GRUB finds the ISO by /.disk/info, shows the installer menu on the Graphics
 * Output Protocol (the first scripted Enter is taken before the menu is drawn, the second picks
 * "Install"), reads the kernel and initrd through BlockIo from the ISO 9660 file system and has
 * shim verify the kernel; the kernel's stub reaches ExitBootServices. shim's measurements show the
 * chain: PCR 4 holds shim (measured by the firmware), GRUB and the kernel (measured by shim). The
 * hand-off boots in QEMU to the installer's first question on the serial console.
 */
class InstallerIsoTest {
    @TempDir
    Path tmp;

    @Test
    void installerIsoUnderSecureBootReachesTheLanguageQuestionInQemu() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path elf = tmp.resolve("installer.elf");
        Path log = tmp.resolve("log.bin");
        CliRun.Result r = CliRun.run("run", "--disk", fx.installerIso().toString(), "--secure-boot", "--vars", fx.ovmfVarsMs().toString(),
                "--keys", "\n\n", "--seed", "1", "--budget", "240", "--handoff", elf.toString(), "--eventlog", log.toString());
        String why = r.out() + r.err();
        assertEquals(0, r.exit(), why);
        assertTrue(r.out().contains("Welcome to GRUB!"), why);
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), why);
        var apps = dev.efiemu.protocols.tpm.TcgLogParser.parse(Files.readAllBytes(log)).records().stream()
                .filter(e -> e.pcr() == 4 && e.type() == 0x80000003).toList(); // EV_EFI_BOOT_SERVICES_APPLICATION
        var sha256 = dev.efiemu.protocols.tpm.EventLog.Bank.SHA256;
        List<String> digests = apps.stream().map(e -> java.util.HexFormat.of().formatHex(e.digests().get(sha256))).toList();
        assertEquals(ShimGrubTest.pesign(fx.shim()), digests.get(0), "the firmware measured shim first");
        assertEquals(ShimGrubTest.pesign(fx.cdGrub()), digests.get(1), "shim measured the CD GRUB it verified");
        assertTrue(digests.subList(2, digests.size()).contains(ShimGrubTest.pesign(fx.installerKernel())),
                "shim measured the installer kernel it verified for GRUB: " + digests);
        String console = untilLanguageQuestion(elf);
        assertTrue(console.contains("Select a language"), HandoffBootTest.tail(console));
        assertTrue(console.contains("Choose the language to be used for the installation process."), HandoffBootTest.tail(console));
    }

    /** Boots the hand-off in QEMU and reads the serial console until the installer asks for a language (at most 300 s). */
    static String untilLanguageQuestion(Path elf) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "1G", "-nographic", "-nodefaults",
                "-serial", "stdio", "-no-reboot", "-kernel", elf.toString())).redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        try (InputStream in = p.getInputStream()) {
            byte[] buf = new byte[8192];
            while (System.nanoTime() < deadline) {
                if (in.available() == 0) {
                    if (!p.isAlive()) break;
                    Thread.sleep(200);
                    continue;
                }
                int n = in.read(buf);
                if (n < 0) break;
                seen.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (seen.indexOf("Choose the language to be used for the installation process.") >= 0) break;
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
        return seen.toString();
    }
}
