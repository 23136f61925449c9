package dev.efiemu.loader.disk;

import dev.efiemu.loader.FormatException;
import java.util.List;

/**
 * How firmware sees a disk image (UEFI spec §13.3, edk2 PartitionDxe): an ISO 9660 image is a
 * CD-ROM (2048-byte blocks, its El Torito boot entries as partitions); anything else has 512-byte
 * blocks and a GPT (behind a protective MBR), an MBR, or no table at all (a whole-disk FAT file
 * system, a "superfloppy", or data). Every table is checked: a corrupt one is a
 * {@link FormatException} naming the offset.
 *
 * @param blockSize  the BlockIo block size
 * @param cdrom      an ISO 9660 image (read-only, removable media)
 * @param partitions in table order
 * @param gpt        the GPT when there is one (UEFI_GPT_DATA for PCR 5), else null
 * @param wholeDiskFat the disk itself starts with a FAT boot sector
 */
public record DiskLayout(int blockSize, boolean cdrom, List<Partition> partitions, GptTable.Table gpt, boolean wholeDiskFat) {

    public static DiskLayout scan(DiskReader disk) {
        if (disk.size() < 512) throw new FormatException("the image has " + disk.size() + " bytes, less than one 512-byte block");
        if (ElTorito.isIso(disk)) {
            return new DiskLayout(ElTorito.SECTOR, true, ElTorito.parse(disk).partitions(), null, false);
        }
        byte[] s0 = disk.bytes(0, 512);
        if (MbrTable.protective(s0)) {
            GptTable.Table t = GptTable.parse(disk, 512);
            return new DiskLayout(512, false, t.partitions(), t, false);
        }
        if (FatVolume.looksLikeFat(s0)) return new DiskLayout(512, false, List.of(), null, true);
        if (MbrTable.signed(s0)) return new DiskLayout(512, false, MbrTable.parse(disk), null, false);
        return new DiskLayout(512, false, List.of(), null, false);
    }
}
