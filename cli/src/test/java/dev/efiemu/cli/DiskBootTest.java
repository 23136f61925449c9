package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.DiskImages;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --disk}: disk images made by sfdisk, mkfs.vfat, mcopy and xorriso, served as block devices
 * with their partitions and FAT file systems, booted like a firmware boot manager boots removable
 * media (no PAYLOAD: \EFI\BOOT\BOOTX64.EFI of the first disk that has it); corrupt tables are one
 * line naming the image and the offset.
 */
class DiskBootTest {
    @TempDir
    Path tmp;

    /** A 32 MiB GPT disk: an ESP (FAT16) holding {@code bootx64} and a text file, then a Linux partition. */
    Path gptDisk(Path bootx64) throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("gpt.img"), 32, """
                label: gpt
                start=2048, size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
                size=8MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
                """);
        Path tree = Files.createDirectories(tmp.resolve("esp-tree"));
        Files.createDirectories(tree.resolve("EFI/BOOT"));
        Files.copy(bootx64, tree.resolve("EFI/BOOT/BOOTX64.EFI"));
        Files.createDirectories(tree.resolve("Some Directory"));
        Files.writeString(tree.resolve("Some Directory/hello.txt"), "hello from the disk");
        DiskImages.fatAt(img, 2048, 16, 16 * 1024, tree);
        return img;
    }

    Path iso() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("iso-tree/boot"));
        DiskImages.fat(dir.resolve("efi.img"), 12, 1440, "EFIBOOT", null);
        Files.writeString(tmp.resolve("iso-tree/readme.txt"), "an ISO");
        return DiskImages.iso(tmp.resolve("t.iso"), tmp.resolve("iso-tree"), "EFIEMU_TEST", "boot/efi.img");
    }

    /** The C app checks what it sees from inside: its partition, the disk's GPT, the CD-ROM, write protection everywhere. */
    @Test
    void bootsBootx64FromTheFirstDiskThatHasItAndSeesEveryDeviceReadOnly() throws Exception {
        Path app = TestApps.build(Path.of("src/test/c/disk_devices.c"), "x86_64");
        Path gpt = gptDisk(app), iso = iso();
        byte[] before = Files.readAllBytes(gpt);
        Path log = tmp.resolve("log.bin");
        CliRun.Result r = CliRun.run("run", "--disk", iso.toString(), "--disk", gpt.toString(), "--seed", "1", "--eventlog", log.toString());
        String why = r.out() + r.err();
        assertEquals(0, r.exit(), why);
        assertTrue(r.out().contains("outcome:        RETURNED — payload returned SUCCESS"), why);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(gpt)), "the image is unchanged");
        // booted from a GPT partition: the firmware measured that disk's GPT (EV_EFI_GPT_EVENT, PCR 5) before the image
        var gptEvents = dev.efiemu.protocols.tpm.TcgLogParser.parse(Files.readAllBytes(log)).records().stream()
                .filter(e -> e.pcr() == 5 && e.type() == 0x80000006).toList();
        assertEquals(1, gptEvents.size());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(before, 512, 512 + 92), java.util.Arrays.copyOf(gptEvents.get(0).data(), 92)),
                "UEFI_GPT_DATA starts with the disk's GPT header");
    }

    /** The test UKI as BOOTX64.EFI on an MBR disk's FAT partition (type 0xef), behind a Linux partition: to ExitBootServices. */
    @Test
    void aUkiOnAnMbrDiskRunsToExitBootServices() throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("mbr.img"), 96, """
                label: dos
                size=8MiB, type=83
                size=80MiB, type=ef
                """);
        Path tree = Files.createDirectories(tmp.resolve("tree/EFI/BOOT"));
        Files.copy(Fixtures.cache().requireFetched().uki(), tree.resolve("BOOTX64.EFI"));
        DiskImages.fatAt(img, 2048 + 8 * 2048, 32, 80 * 1024 - 64, tmp.resolve("tree"));
        CliRun.Result r = CliRun.run("run", "--disk", img.toString(), "--seed", "1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), r.out());
    }

    /**
     * No BOOTX64.EFI, but the AArch64 test UKI as \EFI\BOOT\BOOTAA64.EFI (UEFI spec §3.5.1.1, the
     * removable-media file of AArch64): the machine follows the boot file's PE machine type and the
     * UKI runs to ExitBootServices on the AArch64 engine.
     */
    @Test
    void anArm64UkiBootsAsBootaa64FromADisk() throws Exception {
        Path img = DiskImages.partitioned(tmp.resolve("aa64.img"), 96, """
                label: gpt
                start=2048, size=88MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
                """);
        Path tree = Files.createDirectories(tmp.resolve("tree-aa64/EFI/BOOT"));
        Files.copy(Fixtures.cache().requireFetched().arm64Uki(), tree.resolve("BOOTAA64.EFI"));
        DiskImages.fatAt(img, 2048, 32, 88 * 1024, tmp.resolve("tree-aa64"));
        CliRun.Result r = CliRun.run("run", "--disk", img.toString(), "--seed", "1");
        String why = r.out() + r.err();
        assertEquals(0, r.exit(), why);
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), why);
        assertTrue(r.out().contains("images loaded:\n  BOOTAA64.EFI "), why);
        assertTrue(r.out().contains("EFI stub: Generating empty DTB"), "the arm64 kernel's stub ran: " + why);
    }

    @Test
    void aCorruptGptIsOneLineNamingTheImageAndTheOffsetAndNothingIsWritten() throws Exception {
        Path img = gptDisk(TestApps.build(Path.of("src/test/c/disk_devices.c"), "x86_64"));
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(512 + 40); // FirstUsableLBA: the header's CRC no longer matches
            f.write(0x77);
        }
        Path elf = tmp.resolve("out.elf");
        CliRun.Result r = CliRun.run("run", "--disk", img.toString(), "--handoff", elf.toString());
        assertEquals(1, r.exit(), r.out() + r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("--disk " + img + ": GPT header at offset 0x200: HeaderCRC32 0x"), line);
        assertFalse(Files.exists(elf));
    }

    @Test
    void withoutPayloadADiskWithoutBootFileIsOneLine() throws Exception {
        CliRun.Result r = CliRun.run("run", "--disk", iso().toString());
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("no PAYLOAD, and no --disk has \\EFI\\BOOT\\BOOTX64.EFI or \\EFI\\BOOT\\BOOTAA64.EFI"), r.err());
        CliRun.Result none = CliRun.run("run");
        assertEquals(1, none.exit());
        assertTrue(none.err().contains("nothing to run: give a PAYLOAD, or a --disk to boot from"), none.err());
    }
}
