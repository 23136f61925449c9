package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** systemd-boot's choice of entries, on ESPs built here (Type #1 .conf files, and the real test UKI as Type #2). */
class BootEntriesTest {
    static Path touch(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
        return p;
    }

    static void conf(Path esp, String name, String text) throws Exception {
        Files.createDirectories(esp.resolve("loader/entries"));
        Files.writeString(esp.resolve("loader/entries").resolve(name), text);
    }

    @Test
    void typeOneEntriesAreOrderedNewestFirstAndTheDefaultGlobWins(@TempDir Path esp) throws Exception {
        touch(esp.resolve("vmlinuz-6.1.0-9"));
        touch(esp.resolve("vmlinuz-6.1.0-10"));
        touch(esp.resolve("initrd-a"));
        touch(esp.resolve("initrd-b"));
        conf(esp, "debian-6.1.0-9.conf", "title Debian 9\nlinux /vmlinuz-6.1.0-9\noptions root=/dev/sda1\n");
        conf(esp, "debian-6.1.0-10.conf", """
                # comment
                title   Debian 10
                linux   /vmlinuz-6.1.0-10
                initrd  /initrd-a
                initrd  \\initrd-b
                options root=/dev/sda1
                options quiet
                """);
        BootEntries e = BootEntries.read(esp);
        assertEquals(List.of("debian-6.1.0-10.conf", "debian-6.1.0-9.conf"), e.entries().stream().map(BootEntries.Entry::id).toList(),
                "version-aware, newest first (10 before 9, not as strings)");
        BootEntries.Entry d = e.defaultEntry();
        assertEquals("debian-6.1.0-10.conf", d.id());
        assertEquals(esp.resolve("vmlinuz-6.1.0-10"), d.program());
        assertEquals(List.of(esp.resolve("initrd-a"), esp.resolve("initrd-b")), d.initrds());
        assertEquals("root=/dev/sda1 quiet", d.options());

        Files.writeString(esp.resolve("loader/loader.conf"), "timeout 3\ndefault debian-6.1.0-9*\n");
        assertEquals("debian-6.1.0-9.conf", BootEntries.read(esp).defaultEntry().id(), "loader.conf default glob");
        assertEquals("debian-6.1.0-9.conf", BootEntries.read(esp).find("Debian-6.1.0-9").id(), "--entry without .conf, any case");
    }

    @Test
    void sortKeysComeFirst(@TempDir Path esp) throws Exception {
        touch(esp.resolve("a"));
        conf(esp, "zzz.conf", "linux /a\n");
        conf(esp, "b-1.conf", "sort-key debian\nversion 1\nlinux /a\n");
        conf(esp, "b-2.conf", "sort-key debian\nversion 2\nlinux /a\n");
        conf(esp, "a.conf", "sort-key arch\nversion 1\nlinux /a\n");
        assertEquals(List.of("a.conf", "b-2.conf", "b-1.conf", "zzz.conf"), BootEntries.read(esp).entries().stream().map(BootEntries.Entry::id).toList());
    }

    @Test
    void ukisAreTypeTwoEntriesWithTheirOsRelease(@TempDir Path esp) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Files.createDirectories(esp.resolve("EFI/Linux"));
        Files.copy(fx.uki(), esp.resolve("EFI/Linux/debian-uki.efi"));
        BootEntries.Entry e = BootEntries.read(esp).defaultEntry();
        assertEquals("debian-uki.efi", e.id());
        assertTrue(e.uki());
        assertEquals(esp.resolve("EFI/Linux/debian-uki.efi"), e.program());
        assertTrue(e.title() != null && !e.title().isBlank(), e.toString());
    }

    @Test
    void refusals(@TempDir Path esp) throws Exception {
        Files.createDirectories(esp.resolve("EFI/BOOT"));
        var none = assertThrows(BootError.class, () -> BootEntries.read(esp).defaultEntry());
        assertTrue(none.getMessage().contains("no boot entries"), none.getMessage());
        conf(esp, "gone.conf", "linux /vmlinuz-missing\n");
        var missing = assertThrows(BootError.class, () -> BootEntries.read(esp));
        assertTrue(missing.getMessage().contains("gone.conf") && missing.getMessage().contains("/vmlinuz-missing")
                && missing.getMessage().contains("does not have"), missing.getMessage());
        Files.writeString(esp.resolve("loader/entries/gone.conf"), "linux /../../etc/passwd\n");
        var outside = assertThrows(BootError.class, () -> BootEntries.read(esp));
        assertTrue(outside.getMessage().contains("outside the ESP"), outside.getMessage());
        Files.writeString(esp.resolve("loader/entries/gone.conf"), "title nothing to boot\n");
        var empty = assertThrows(BootError.class, () -> BootEntries.read(esp));
        assertTrue(empty.getMessage().contains("neither 'linux' nor 'efi'"), empty.getMessage());
        Files.delete(esp.resolve("loader/entries/gone.conf"));
        touch(esp.resolve("k"));
        conf(esp, "one.conf", "linux /k\n");
        var unknown = assertThrows(BootError.class, () -> BootEntries.read(esp).find("two"));
        assertTrue(unknown.getMessage().contains("entries: one.conf"), unknown.getMessage());
    }

    @Test
    void versionCompare() {
        assertTrue(BootEntries.versionCompare("6.1.0-10", "6.1.0-9") > 0);
        assertTrue(BootEntries.versionCompare("a2", "a10") < 0);
        assertTrue(BootEntries.versionCompare("a", "ab") < 0);
        assertEquals(0, BootEntries.versionCompare("x007", "x7"));
        assertTrue(BootEntries.versionCompare(null, "1") < 0);
    }
}
