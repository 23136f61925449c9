package dev.efiemu.loader.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.fixtures.DiskImages;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition discovery against the tools that wrote the tables: sfdisk's own reading of its GPT and
 * MBR (sfdisk --dump), xorriso's report of its El Torito catalogue; corrupt tables are one line
 * naming the offset.
 */
class DiskLayoutTest {
    @TempDir
    Path tmp;

    static DiskLayout scan(Path img) throws Exception {
        try (DiskReader r = DiskReader.open(img)) {
            return DiskLayout.scan(r);
        }
    }

    /** "start=  2048, size=  4096, type=..., uuid=..." lines of sfdisk --dump. */
    static List<String[]> dump(Path img) {
        String out = DiskImages.sfdiskDump(img);
        Pattern p = Pattern.compile("start=\\s*(\\d+), size=\\s*(\\d+), type=([0-9A-Fa-f-]+)(?:.*uuid=([0-9A-Fa-f-]+))?");
        return out.lines().filter(l -> l.startsWith(img.toString())).map(l -> {
            Matcher m = p.matcher(l);
            assertTrue(m.find(), l);
            return new String[] {m.group(1), m.group(2), m.group(3), m.group(4)};
        }).toList();
    }

    @Test
    void gptPartitionsAreWhatSfdiskReads() throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("gpt.img"), 16, """
                label: gpt
                size=4MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System"
                size=2MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
                type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
                """);
        DiskLayout d = scan(img);
        List<String[]> want = dump(img);
        assertEquals(512, d.blockSize());
        assertEquals(want.size(), d.partitions().size());
        for (int i = 0; i < want.size(); i++) {
            Partition p = d.partitions().get(i);
            assertEquals(Partition.Scheme.GPT, p.scheme());
            assertEquals(i + 1, p.number());
            assertEquals(Long.parseLong(want.get(i)[0]) * 512, p.offset());
            assertEquals(Long.parseLong(want.get(i)[1]) * 512, p.length());
            assertEquals(Guid.parse(want.get(i)[2].toLowerCase()), p.gptType());
            assertEquals(Guid.parse(want.get(i)[3].toLowerCase()), p.gptUnique());
        }
        assertTrue(d.partitions().get(0).mayBeFat() && !d.partitions().get(1).mayBeFat());
        assertEquals(92 + 8 + 3 * 128, d.gpt().gptData().length, "UEFI_GPT_DATA: header, count, three entries");
    }

    @Test
    void mbrPrimaryAndLogicalPartitionsAreWhatSfdiskReads() throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("mbr.img"), 16, """
                label: dos
                label-id: 0x1234abcd
                %1$s1: size=4MiB, type=ef
                %1$s2: size=8MiB, type=5
                %1$s5: size=2MiB, type=83
                %1$s6: size=2MiB, type=c
                """.formatted(tmp.resolve("mbr.img")));
        DiskLayout d = scan(img);
        List<String[]> want = dump(img).stream().filter(w -> !w[2].equals("5")).toList(); // the extended container is no partition
        assertEquals(want.size(), d.partitions().size());
        for (int i = 0; i < want.size(); i++) {
            Partition p = d.partitions().get(i);
            assertEquals(Long.parseLong(want.get(i)[0]) * 512, p.offset(), "partition " + p.number());
            assertEquals(Long.parseLong(want.get(i)[1]) * 512, p.length());
            assertEquals(Integer.parseInt(want.get(i)[2], 16), p.mbrType());
            assertEquals(0x1234abcdL, p.signature());
        }
        assertEquals(List.of(1, 5, 6), d.partitions().stream().map(Partition::number).toList());
    }

    @Test
    void elToritoEfiImageIsWhereXorrisoPutIt() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("iso/boot"));
        DiskImages.fat(dir.resolve("efi.img"), 12, 1440, "EFIEMU12", null);
        Files.writeString(tmp.resolve("iso/hello.txt"), "hi");
        Path iso = DiskImages.iso(tmp.resolve("t.iso"), tmp.resolve("iso"), "T", "boot/efi.img");
        DiskLayout d = scan(iso);
        assertTrue(d.cdrom());
        assertEquals(2048, d.blockSize());
        assertEquals(1, d.partitions().size());
        Partition p = d.partitions().get(0);
        String report = DiskImages.elToritoReport(iso);
        Matcher m = Pattern.compile("El Torito boot img :\\s+1\\s+UEFI\\s+y\\s+none\\s+\\S+\\s+\\S+\\s+(\\d+)\\s+(\\d+)").matcher(report);
        assertTrue(m.find(), report);
        assertEquals(Long.parseLong(m.group(2)) * 2048, p.offset());
        assertEquals(Long.parseLong(m.group(1)) * 512, p.length());
        assertEquals(ElTorito.PLATFORM_EFI, p.platform());
        try (DiskReader rd = DiskReader.open(iso)) {
            FatVolume v = FatVolume.open(rd, p.offset(), p.length(), "t.iso");
            assertEquals(FatVolume.Type.FAT12, v.type());
        }
    }

    @Test
    void aWholeDiskFatAndAnEmptyDiskHaveNoPartitions() throws Exception {
        DiskLayout fat = scan(DiskImages.fat(tmp.resolve("f.img"), 12, 2000, "EFIEMU12", null));
        assertTrue(fat.wholeDiskFat() && fat.partitions().isEmpty());
        Path zero = tmp.resolve("zero.img");
        Files.write(zero, new byte[1 << 20]);
        DiskLayout z = scan(zero);
        assertTrue(!z.wholeDiskFat() && z.partitions().isEmpty() && !z.cdrom());
    }

    // ---- corrupt tables: one line naming the offset ----

    static void poke(Path img, long offset, int value) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(offset);
            f.write(value);
        }
    }

    static String refusal(Path img) {
        FormatException e = assertThrows(FormatException.class, () -> scan(img));
        assertTrue(e.getMessage().indexOf('\n') < 0, e.getMessage());
        return e.getMessage();
    }

    @Test
    void corruptGptHeaderAndEntriesNameTheirOffsets() throws Exception {
        String script = "label: gpt\nsize=4MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n";
        Path a = DiskImages.partitioned(tmp.resolve("a.img"), 8, script);
        poke(a, 512 + 40, 0x77); // FirstUsableLBA, CRC no longer matches
        assertTrue(refusal(a).startsWith("GPT header at offset 0x200: HeaderCRC32 0x"), refusal(a));
        Path b = DiskImages.partitioned(tmp.resolve("b.img"), 8, script);
        poke(b, 1024 + 40, 0x33); // the first entry's StartingLBA
        assertTrue(refusal(b).startsWith("GPT partition entry array at offset 0x400: PartitionEntryArrayCRC32"), refusal(b));
    }

    @Test
    void corruptMbrIsoAndFatNameTheirOffsets() throws Exception {
        Path m = DiskImages.partitioned(tmp.resolve("m.img"), 8, "label: dos\nsize=4MiB, type=83\nsize=2MiB, type=83\n");
        poke(m, 0x1be + 16 + 12 + 1, 0x40); // the second entry's size: 2 MiB + 8 MiB, past the disk
        assertTrue(refusal(m).startsWith("MBR partition entry 2 at offset 0x1ce: sectors"), refusal(m));

        Path dir = Files.createDirectories(tmp.resolve("iso/boot"));
        DiskImages.fat(dir.resolve("efi.img"), 12, 1440, "EFIEMU12", null);
        Path iso = DiskImages.iso(tmp.resolve("c.iso"), tmp.resolve("iso"), "T", "boot/efi.img");
        long catalog;
        try (DiskReader r = DiskReader.open(iso)) {
            catalog = MbrTable.u32(r.bytes(17 * 2048, 2048), 0x47) * 2048;
        }
        poke(iso, catalog + 4, 'X');
        assertTrue(refusal(iso).startsWith(String.format("El Torito boot catalogue at offset 0x%x: not a valid validation entry", catalog)), refusal(iso));

        Path fat = DiskImages.fat(tmp.resolve("fat.img"), 12, 2000, "EFIEMU12", null);
        poke(fat, 13, 3); // 3 sectors per cluster
        try (DiskReader r = DiskReader.open(fat)) {
            FormatException e = assertThrows(FormatException.class, () -> FatVolume.open(r, 0, r.size(), "fat.img"));
            assertTrue(e.getMessage().startsWith("fat.img: FAT boot sector at offset 0x0: not a FAT BPB"), e.getMessage());
        }
    }

    @Test
    void gptDataCarriesTheHeaderAndUsedEntries() throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("g.img"), 8, "label: gpt\nsize=4MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n");
        byte[] data = scan(img).gpt().gptData();
        byte[] raw = Files.readAllBytes(img);
        assertArrayEquals(java.util.Arrays.copyOfRange(raw, 512, 512 + 92), java.util.Arrays.copyOf(data, 92));
        assertArrayEquals(java.util.Arrays.copyOfRange(raw, 1024, 1024 + 128), java.util.Arrays.copyOfRange(data, 100, 228));
    }
}
