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
}
