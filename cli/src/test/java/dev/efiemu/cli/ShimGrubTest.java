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

    @Test
    void grubWaitingForKeysEndsTheRunInsteadOfHanging() throws Exception {
        Path shim = esp(false);
        long t0 = System.nanoTime();
        CliRun.Result r = CliRun.run("run", shim.toString(), "--esp", tmp.resolve("esp").toString(), "--seed", "1");
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("outcome:        WAITING_FOR_INPUT"), r.out());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "well before the 120 s budget");
    }

    @Test
    void shimRefusesATamperedGrub() throws Exception {
        CliRun.Result r = run(esp(true));
        assertTrue(!r.out().contains("GNU GRUB"), "GRUB must not start:\n" + r.out());
        assertTrue(r.out().toLowerCase().contains("verification failed") || r.out().contains("Security Violation"), r.out() + r.err());
    }
}
