package dev.efiemu.loader.disk;

import dev.efiemu.loader.Guid;

/**
 * One partition as firmware discovers it (UEFI spec §13.3): where it lies on the disk, in bytes,
 * and what its device path node says.
 *
 * @param scheme    the table it came from
 * @param number    GPT: the entry's index + 1; MBR: 1-4 primary, 5+ logical; El Torito: the bootable entry's index, from 0 (edk2's CDROM() BootEntry)
 * @param offset    first byte on the disk
 * @param length    bytes
 * @param gptType   GPT partition type GUID (else null)
 * @param gptUnique GPT unique partition GUID (HD() signature; else null)
 * @param mbrType   MBR system indicator (else 0)
 * @param signature MBR: the disk signature at 0x1b8 (HD() signature)
 * @param platform  El Torito platform id (0 x86, 0xef EFI; else -1)
 * @param mayBeFat  the table says the partition holds a FAT file system (ESP, FAT types, an El Torito EFI image):
 *                  a partition so marked that is not FAT is corrupt
 */
public record Partition(Scheme scheme, int number, long offset, long length, Guid gptType, Guid gptUnique, int mbrType,
                        long signature, int platform, boolean mayBeFat) {

    public enum Scheme { GPT, MBR, EL_TORITO }

    /** The EFI System Partition's type GUID (§5.3.3). */
    public static final Guid ESP_TYPE = Guid.parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");

    /** "GPT partition 1", "MBR partition 5", "El Torito boot entry 2". */
    public String describe() {
        return switch (scheme) {
            case GPT -> "GPT partition " + number;
            case MBR -> "MBR partition " + number;
            case EL_TORITO -> "El Torito boot entry " + number;
        };
    }
}
