package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installer-media style chain under Secure Boot with the Microsoft db of OVMF_VARS_4M.ms.fd: the
 * real Microsoft-signed shim verifies and starts Debian's signed GRUB from the ESP; GRUB's console
 * takes scripted keys, and its `reboot` ends the run through ResetSystem. A GRUB with one flipped
 * byte is refused by shim itself.
 */
class ShimGrubTest {
    @TempDir
    Path tmp;

    Path esp(boolean tamper) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path dir = Files.createDirectories(tmp.resolve("esp/EFI/debian"));
        Files.copy(fx.shim(), dir.resolve("shimx64.efi"));
        byte[] grub = Files.readAllBytes(fx.grub());
        if (tamper) grub[0x2000] ^= 1;
        Files.write(dir.resolve("grubx64.efi"), grub);
        return dir.resolve("shimx64.efi");
    }

    CliRun.Result run(Path shim) {
        return CliRun.run("run", shim.toString(), "--esp", tmp.resolve("esp").toString(), "--seed", "1", "--budget", "60",
                "--secure-boot", "--vars", Fixtures.cache().ovmfVarsMs().toString(), "--keys", "echo efiemu-grub-ok\nreboot\n");
    }

    @Test
    void shimStartsGrubWhichRunsCommandsAndReboots() throws Exception {
        CliRun.Result r = run(esp(false));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("GNU GRUB"), r.out());
        assertTrue(r.out().contains("\nefiemu-grub-ok"), "GRUB executed the scripted echo:\n" + r.out());
        assertTrue(r.out().contains("outcome:        RESET"), r.out());
    }

    /**
     * shim measures GRUB into PCR 4 with HashLogExtendEvent(PE_COFF_IMAGE), after the firmware
     * measured shim itself: each digest logged is the image's Authenticode SHA-256, the value
     * pesign --hash prints.
     */
    @Test
    void shimsPeCoffMeasurementOfGrubIsItsAuthenticodeDigest() throws Exception {
        Path shim = esp(false);
        Path log = tmp.resolve("log.bin");
        CliRun.Result r = CliRun.run("run", shim.toString(), "--esp", tmp.resolve("esp").toString(), "--seed", "1", "--budget", "60",
                "--secure-boot", "--vars", Fixtures.cache().ovmfVarsMs().toString(), "--keys", "reboot\n", "--eventlog", log.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(!r.out().contains("Tcg2.HashLogExtendEvent"), "no TCG2 call answered EFI_UNSUPPORTED:\n" + r.out());
        var events = dev.efiemu.protocols.tpm.TcgLogParser.parse(Files.readAllBytes(log)).records().stream()
                .filter(e -> e.pcr() == 4 && e.type() == 0x80000003).toList(); // EV_EFI_BOOT_SERVICES_APPLICATION
        // the firmware's measurement of shim (LoadImage), then shim's of GRUB (PE_COFF_IMAGE): each is the PE's Authenticode digest
        assertEquals(2, events.size(), "shim and GRUB in PCR 4");
        var sha256 = dev.efiemu.protocols.tpm.EventLog.Bank.SHA256;
        assertEquals(pesign(shim), java.util.HexFormat.of().formatHex(events.get(0).digests().get(sha256)));
        assertEquals(pesign(tmp.resolve("esp/EFI/debian/grubx64.efi")), java.util.HexFormat.of().formatHex(events.get(1).digests().get(sha256)));
    }

    static String pesign(Path file) throws Exception {
        Process p = new ProcessBuilder("pesign", "--hash", "--in=" + file, "--digest_type=sha256").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out.replaceAll("(?s).*hash: ([0-9a-f]{64}).*", "$1");
    }

    @Test
    void grubWaitingForKeysEndsTheRunInsteadOfHanging() throws Exception {
        Path shim = esp(false);
        long t0 = System.nanoTime();
        CliRun.Result r = CliRun.run("run", shim.toString(), "--esp", tmp.resolve("esp").toString(), "--seed", "1");
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("outcome:        WAITING_FOR_INPUT"), r.out());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "well before the 120 s budget");
    }

    /**
     * The whole installer-style chain: shim -> GRUB, which finds its prefix on the ESP served as a
     * GPT disk (--esp-disk) and runs EFI/debian/grub.cfg -> the Debian kernel, verified through
     * shim -> ExitBootServices; the hand-off boots in QEMU with Secure Boot reported on and the
     * command line from grub.cfg.
     */
    @Test
    void shimGrubKernelChainBootsInQemu() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path shim = esp(false);
        Files.copy(fx.cloudKernel(), tmp.resolve("esp/vmlinuz"));
        Files.copy(fx.markerInitrd(), tmp.resolve("esp/initrd.gz"));
        Files.writeString(tmp.resolve("esp/EFI/debian/grub.cfg"),
                "linux /vmlinuz console=ttyS0 panic=-1 via=grub\ninitrd /initrd.gz\nboot\n");
        Path elf = tmp.resolve("chain.elf");
        CliRun.Result r = CliRun.run("run", shim.toString(), "--esp", tmp.resolve("esp").toString(), "--esp-disk", "--seed", "1",
                "--budget", "120", "--secure-boot", "--vars", fx.ovmfVarsMs().toString(),
                "--handoff", elf.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("EFI stub: UEFI Secure Boot is enabled."), r.out());
        HandoffBootTest.Boot b = HandoffBootTest.qemu(elf);
        assertTrue(b.console().contains("secureboot: Secure boot enabled"), HandoffBootTest.tail(b.console()));
        assertTrue(b.console().contains(Fixtures.MARKER + " BOOT_IMAGE=/vmlinuz console=ttyS0 panic=-1 via=grub"),
                HandoffBootTest.tail(b.console()));
        assertEquals(0, b.exit());
    }

    /**
     * shim's own check refuses the GRUB with one flipped byte: its dialog waits for a key (the
     * first scripted one), it then reports the refusal, tries MokManager (absent) and returns.
     */
    @Test
    void shimRefusesATamperedGrub() throws Exception {
        CliRun.Result r = run(esp(true));
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(!r.out().contains("GNU GRUB"), "GRUB must not start:\n" + r.out());
        assertTrue(r.out().contains("Verification failed: (0x1A) Security Violation"), r.out());
        assertTrue(r.out().contains("Failed to load image: Security Policy Violation"), r.out());
        assertTrue(r.out().contains("Failed to load image \\EFI\\debian\\mmx64.efi: Not Found"), r.out());
        assertTrue(r.out().contains("outcome:        RETURNED — payload returned NOT_FOUND"), r.out());
    }
}
