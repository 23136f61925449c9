package dev.efiemu.loader.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.loader.FormatException;
import dev.efiemu.fixtures.DiskImages;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The FAT reader over file systems made by mkfs.vfat and filled by mcopy: every file reads back as written. */
class FatVolumeTest {
    @TempDir
    Path tmp;

    Path tree() throws Exception {
        Path t = Files.createDirectories(tmp.resolve("tree"));
        Files.createDirectories(t.resolve("EFI/BOOT"));
        Files.createDirectories(t.resolve("a directory with a long name/deeper"));
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Files.write(t.resolve("EFI/BOOT/BOOTX64.EFI"), big);
        Files.writeString(t.resolve("a directory with a long name/deeper/Mixed Case File.txt"), "hello from a long name");
        Files.writeString(t.resolve("short.cfg"), "x");
        Files.write(t.resolve("empty"), new byte[0]);
        return t;
    }

    @ParameterizedTest
    @CsvSource({"12, 2000, FAT12", "16, 20000, FAT16", "32, 70000, FAT32"})
    void everyFileReadsBackAsMcopyWroteIt(int bits, long kib, String type) throws Exception {
        Path t = tree();
        Path img = DiskImages.fat(tmp.resolve("f.img"), bits, kib, "EFIEMU" + bits, t);
        try (DiskReader r = DiskReader.open(img)) {
            FatVolume v = FatVolume.open(r, 0, r.size(), "f.img");
            assertEquals(FatVolume.Type.valueOf(type), v.type());
            assertEquals("EFIEMU" + bits, v.label());
            FatVolume.Node boot = v.lookup(List.of("efi", "boot", "bootx64.efi"));
            assertArrayEquals(Files.readAllBytes(t.resolve("EFI/BOOT/BOOTX64.EFI")), v.readAll(boot));
            FatVolume.Node deep = v.lookup(List.of("A Directory With A Long Name", "deeper", "mixed case file.TXT"));
            assertEquals("Mixed Case File.txt", deep.name());
            assertEquals("hello from a long name", new String(v.readAll(deep)));
            assertEquals(0, v.lookup(List.of("empty")).size());
            assertNull(v.lookup(List.of("EFI", "nothing")));
            List<String> names = v.list(v.lookup(List.of("EFI"))).stream().map(FatVolume.Node::name).toList();
            assertEquals(List.of(".", "..", "BOOT"), names);
            assertTrue(v.lookup(List.of("EFI", "..")).directory(), "\"..\" of a first-level directory is the root");
            byte[] part = new byte[1000];
            assertEquals(1000, v.read(boot, 299_500 - 500, part, 0, 1000));
            assertEquals(500, v.read(boot, 299_500, part, 0, 1000));
        }
    }

    @Test
    void aLoopInTheClusterChainIsCorruptNotAHang() throws Exception {
        Path t = tree();
        Path img = DiskImages.fat(tmp.resolve("f.img"), 16, 20000, "EFIEMU16", t);
        FatVolume.Node boot;
        long fatStart;
        try (DiskReader r = DiskReader.open(img)) {
            FatVolume v = FatVolume.open(r, 0, r.size(), "f.img");
            boot = v.lookup(List.of("EFI", "BOOT", "BOOTX64.EFI"));
            byte[] bs = r.bytes(0, 512);
            fatStart = (long) FatVolume.u16(bs, 14) * 512;
        }
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) { // the file's first cluster points at itself
            f.seek(fatStart + boot.cluster() * 2);
            f.write((int) (boot.cluster() & 0xff));
            f.write((int) (boot.cluster() >> 8));
        }
        try (DiskReader r = DiskReader.open(img)) {
            FatVolume v = FatVolume.open(r, 0, r.size(), "f.img");
            FatVolume.Node b = v.lookup(List.of("EFI", "BOOT", "BOOTX64.EFI"));
            FormatException e = assertThrows(FormatException.class, () -> v.readAll(b));
            assertTrue(e.getMessage().startsWith("f.img: FAT boot sector at offset 0x0: cluster chain from " + b.cluster() + " loops"), e.getMessage());
        }
    }
}
