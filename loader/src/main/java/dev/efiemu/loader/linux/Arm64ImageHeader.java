package dev.efiemu.loader.linux;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;

/**
 * The arm64 Linux Image header (Documentation/arch/arm64/booting.rst §4): code0/code1, then
 * text_offset (u64 at 8), image_size (u64 at 16), flags (u64 at 24), reserved, magic
 * "ARM\x64" (u32 at 56) and the PE header offset (u32 at 60) for EFI-stub kernels.
 */
public record Arm64ImageHeader(long textOffset, long imageSize, long flags, long peOffset, boolean efiStub) {
    public static final long MAGIC = 0x644d5241L;

    public static boolean looksLikeArm64Image(byte[] b) {
        return b.length >= 64 && Bytes.u32(b, 56, "magic") == MAGIC;
    }

    public static Arm64ImageHeader parse(byte[] b) {
        if (!looksLikeArm64Image(b)) throw new FormatException("no arm64 Image magic \"ARM\\x64\" at offset 0x38");
        return new Arm64ImageHeader(Bytes.u64(b, 8, "text_offset"), Bytes.u64(b, 16, "image_size"), Bytes.u64(b, 24, "flags"),
                Bytes.u32(b, 60, "PE offset"), b[0] == 'M' && b[1] == 'Z');
    }

    /** flags bit 0: kernel endianness. */
    public boolean bigEndian() {
        return (flags & 1) != 0;
    }

    /** flags bits 1-2: page size (0 unspecified, 1 4K, 2 16K, 3 64K). */
    public String pageSize() {
        return switch ((int) (flags >> 1) & 3) {
            case 1 -> "4K";
            case 2 -> "16K";
            case 3 -> "64K";
            default -> "unspecified";
        };
    }
}
