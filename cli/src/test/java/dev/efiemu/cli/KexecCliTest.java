package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * efiemu kexec's refusals that need no kexec at all (the ones that do are in KexecLabIT): each is
 * one line naming the cause, exit 1, before any payload runs. This JVM has EFIEMU_FORBID_KEXEC set,
 * so nothing here could load a kernel even by mistake.
 */
class KexecCliTest {
    static void assertOneLine(CliRun.Result r, String... parts) {
        assertEquals(1, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
        assertTrue(!r.out().contains("== efiemu summary =="), "nothing ran: " + r.out());
    }

    @Test
    void anEspWithoutEntries(@TempDir Path esp) throws Exception {
        Files.createDirectories(esp.resolve("EFI/BOOT"));
        assertOneLine(CliRun.run("kexec", "--esp", esp.toString(), "--dry-run"), "efiemu: --esp " + esp, "no boot entries");
    }

    @Test
    void anEntryNamingAMissingFile(@TempDir Path esp) throws Exception {
        Files.createDirectories(esp.resolve("loader/entries"));
        Files.writeString(esp.resolve("loader/entries/debian.conf"), "title Debian\nlinux /vmlinuz-6.1\ninitrd /initrd.img-6.1\n");
        assertOneLine(CliRun.run("kexec", "--esp", esp.toString(), "--dry-run"), "debian.conf", "/vmlinuz-6.1", "names a file the ESP does not have");
    }

    @Test
    void anUnknownEntryAndAPayloadWithAnEntry(@TempDir Path esp) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Files.createDirectories(esp.resolve("EFI/Linux"));
        Files.copy(fx.uki(), esp.resolve("EFI/Linux/debian.efi"));
        assertOneLine(CliRun.run("kexec", "--esp", esp.toString(), "--entry", "arch", "--dry-run"), "--entry arch", "entries: debian.efi");
        assertOneLine(CliRun.run("kexec", fx.uki().toString(), "--entry", "debian.efi", "--dry-run"), "either PAYLOAD or --entry");
    }

    /** The dry run boots the ESP's default entry on this host's memory map and plans the load, loading nothing. */
    @Test
    void aDryRunPlansTheDefaultEntry(@TempDir Path esp) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Files.createDirectories(esp.resolve("EFI/Linux"));
        Files.copy(fx.uki(), esp.resolve("EFI/Linux/debian.efi"));
        CliRun.Result r = CliRun.run("kexec", "--esp", esp.toString(), "--dry-run", "--seed", "1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("efiemu kexec: entry debian.efi of " + esp), r.out());
        assertTrue(r.out().contains("EXIT_BOOT_SERVICES"), r.out());
        assertTrue(r.out().contains("kexec_load(entry=0x"), r.out());
        assertTrue(r.out().contains("dry run: nothing loaded"), r.out());
    }

    /** --disk: a missing image and a corrupt one are each one line naming the image, before anything runs. */
    @Test
    void aMissingOrCorruptDisk(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("missing.iso");
        assertOneLine(CliRun.run("kexec", "--disk", missing.toString(), "--dry-run"), "efiemu: --disk " + missing + ": no such file");
        Path img = dev.efiemu.fixtures.DiskImages.partitioned(tmp.resolve("gpt.img"), 8, """
                label: gpt
                size=4MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
                """);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.seek(512 + 40); // FirstUsableLBA: the header's CRC no longer matches
            f.write(0x77);
        }
        assertOneLine(CliRun.run("kexec", "--disk", img.toString(), "--dry-run", "--seed", "1"),
                "efiemu: --disk " + img + ": GPT header at offset 0x200: HeaderCRC32 0x");
        Path dir = Files.createDirectories(tmp.resolve("esp"));
        assertOneLine(CliRun.run("kexec", "--disk", dir.toString(), "--dry-run"), "--disk " + dir + " is a directory");
    }

    /**
     * The installer ISO booted like firmware boots a CD (no PAYLOAD, --disk), under Secure Boot with
     * OVMF's Microsoft keys and the menu's Enter, on this host's memory map: shim, GRUB and the
     * installer kernel run to ExitBootServices and the load is planned (the kexec lab boots it for real).
     */
    @Test
    void aDryRunBootsTheInstallerIsoFromTheDisk() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        CliRun.Result r = CliRun.run("kexec", "--disk", fx.installerIso().toString(), "--secure-boot", "--vars", fx.ovmfVarsMs().toString(),
                "--keys", "\n\n", "--seed", "1", "--dry-run");
        String why = r.out() + r.err();
        assertEquals(0, r.exit(), why);
        assertTrue(r.out().contains("efiemu kexec: \\EFI\\BOOT\\BOOTX64.EFI of --disk " + fx.installerIso()), why);
        assertTrue(r.out().contains("Welcome to GRUB!"), why);
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), why);
        assertTrue(r.out().contains("kexec_load(entry=0x"), why);
        assertTrue(r.out().contains("dry run: nothing loaded"), why);
    }
}
