package dev.efiemu.loader.disk;

import dev.efiemu.loader.FormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ISO 9660 volume descriptors (ECMA-119 §8) and the El Torito boot catalogue ("El Torito" Bootable
 * CD-ROM Format Specification 1.0): each bootable entry of the catalogue becomes a partition, as
 * edk2's PartitionDxe (ElTorito.c) makes them: 2048-byte blocks, the entry's load RBA as start, its
 * 512-byte sector count as size (fewer than 2 sectors: the rest of the volume). An entry for the
 * EFI platform (0xef) holds a FAT image.
 */
public final class ElTorito {
    public static final int SECTOR = 2048;
    static final long FIRST_DESCRIPTOR = 16 * SECTOR;
    static final int MAX_DESCRIPTORS = 64;
    static final byte[] CD001 = "CD001".getBytes(StandardCharsets.US_ASCII);
    static final byte[] EL_TORITO = "EL TORITO SPECIFICATION".getBytes(StandardCharsets.US_ASCII);
    public static final int PLATFORM_EFI = 0xef;

    /** What the volume descriptors say: the volume's size in sectors and the boot entries found. */
    public record Volume(long volumeSectors, List<Partition> partitions) {}

    private ElTorito() {}

    /** True when {@code disk} carries an ISO 9660 volume descriptor at sector 16. */
    public static boolean isIso(DiskReader disk) {
        if (disk.size() < FIRST_DESCRIPTOR + SECTOR) return false;
        byte[] d = disk.bytes(FIRST_DESCRIPTOR + 1, 5);
        return java.util.Arrays.equals(d, CD001);
    }

    public static Volume parse(DiskReader disk) {
        long sectors = disk.size() / SECTOR;
        long volume = 0, catalog = -1, bootRecord = 0;
        boolean terminated = false;
        for (int i = 0; i < MAX_DESCRIPTORS; i++) {
            long at = FIRST_DESCRIPTOR + (long) i * SECTOR;
            if (at + SECTOR > disk.size()) break;
            byte[] d = disk.bytes(at, SECTOR);
            if (!java.util.Arrays.equals(java.util.Arrays.copyOfRange(d, 1, 6), CD001)) {
                throw new FormatException(String.format("ISO 9660 volume descriptor at offset 0x%x: no \"CD001\" identifier", at));
            }
            int type = d[0] & 0xff;
            if (type == 255) {
                terminated = true;
                break;
            }
            if (type == 1) volume = MbrTable.u32(d, 80);
            if (type == 0 && java.util.Arrays.equals(java.util.Arrays.copyOfRange(d, 7, 7 + EL_TORITO.length), EL_TORITO)) {
                catalog = MbrTable.u32(d, 0x47);
                bootRecord = at;
            }
        }
        if (!terminated) {
            throw new FormatException(String.format("ISO 9660 volume descriptors at offset 0x%x: no set terminator within %d descriptors",
                    FIRST_DESCRIPTOR, MAX_DESCRIPTORS));
        }
        if (volume == 0) throw new FormatException(String.format("ISO 9660 at offset 0x%x: no primary volume descriptor", FIRST_DESCRIPTOR));
        if (catalog < 0) return new Volume(volume, List.of());
        if (catalog < 17 || catalog >= sectors) {
            throw new FormatException(String.format("El Torito boot record at offset 0x%x: the boot catalogue's sector %d is not in the image (%d sectors)",
                    bootRecord, catalog, sectors));
        }
        return new Volume(volume, entries(disk, catalog, Math.min(volume, sectors), sectors));
    }

    private static List<Partition> entries(DiskReader disk, long catalog, long volume, long sectors) {
        long base = catalog * SECTOR;
        byte[] c = disk.bytes(base, SECTOR);
        int sum = 0;
        for (int i = 0; i < 32; i += 2) sum += (c[i] & 0xff) | (c[i + 1] & 0xff) << 8;
        if (c[0] != 1 || (c[30] & 0xff) != 0x55 || (c[31] & 0xff) != 0xaa || (sum & 0xffff) != 0) {
            throw new FormatException(String.format("El Torito boot catalogue at offset 0x%x: not a valid validation entry (header 0x%02x, key %02x%02x, checksum 0x%04x)",
                    base, c[0] & 0xff, c[30] & 0xff, c[31] & 0xff, sum & 0xffff));
        }
        int platform = c[1] & 0xff;
        List<Partition> out = new ArrayList<>();
        int entry = 0;
        for (int off = 32; off + 32 <= SECTOR; off += 32) {
            int indicator = c[off] & 0xff;
            if (indicator == 0x90 || indicator == 0x91) { // section header: the platform of the entries that follow
                platform = c[off + 1] & 0xff;
                continue;
            }
            if (indicator != 0x88) continue; // not bootable, an extension or unused
            long lba = MbrTable.u32(c, off + 8);
            if (lba == 0) continue;
            int number = entry++; // edk2 counts boot entries from 0: CDROM(0x0,...) is the first
            int media = c[off + 1] & 0x0f;
            long count = (c[off + 6] & 0xff) | (c[off + 7] & 0xff) << 8;
            long bytes = switch (media) {
                case 1 -> 1_228_800;
                case 2 -> 1_474_560;
                case 3 -> 2_949_120;
                default -> count < 2 ? (volume - lba) * SECTOR : (count * 512 + SECTOR - 1) / SECTOR * SECTOR;
            };
            if (lba >= sectors || bytes <= 0 || lba * SECTOR + bytes > disk.size()) {
                throw new FormatException(String.format("El Torito boot entry %d at offset 0x%x: sectors %d.. (%d bytes) are not in the image (%d sectors)",
                        number, base + off, lba, bytes, sectors));
            }
            out.add(new Partition(Partition.Scheme.EL_TORITO, number, lba * SECTOR, bytes, null, null, 0, 0, platform,
                    platform == PLATFORM_EFI));
        }
        return List.copyOf(out);
    }
}
