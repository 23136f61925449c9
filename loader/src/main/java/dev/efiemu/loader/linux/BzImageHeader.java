package dev.efiemu.loader.linux;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;

/**
 * The x86 Linux boot protocol's real-mode setup header, at offset 0x1f1 of a bzImage
 * (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"; struct setup_header in
 * arch/x86/include/uapi/asm/bootparam.h). Offsets below are from the start of the file.
 */
public record BzImageHeader(
        int setupSects,
        int version,
        String kernelVersion,
        int loadFlags,
        long code32Start,
        long initrdAddrMax,
        long kernelAlignment,
        boolean relocatableKernel,
        int minAlignment,
        int xloadFlags,
        long cmdlineSize,
        long payloadOffset,
        long payloadLength,
        long prefAddress,
        long initSize,
        long handoverOffset,
        long kernelInfoOffset,
        long setupSize,
        String payloadCompression) {

    /** loadflags bits. */
    public static final int LOADED_HIGH = 0x01, CAN_USE_HEAP = 0x80;
    /** xloadflags bits (boot protocol 2.12+). */
    public static final int XLF_KERNEL_64 = 0x01, XLF_CAN_BE_LOADED_ABOVE_4G = 0x02, XLF_EFI_HANDOVER_32 = 0x04,
            XLF_EFI_HANDOVER_64 = 0x08, XLF_EFI_KEXEC = 0x10, XLF_5LEVEL = 0x20, XLF_5LEVEL_ENABLED = 0x40, XLF_MEM_ENCRYPTION = 0x80;

    /** boot_flag 0xAA55 at 0x1fe and "HdrS" at 0x202. */
    public static boolean looksLikeBzImage(byte[] b) {
        return b.length >= 0x270 && (b[0x1fe] & 0xff) == 0x55 && (b[0x1ff] & 0xff) == 0xaa
                && Bytes.startsWith(b, 0x202, new byte[] {'H', 'd', 'r', 'S'});
    }

    public static BzImageHeader parse(byte[] b) {
        if (!looksLikeBzImage(b)) throw new FormatException("no x86 setup header (boot_flag 0xAA55 at 0x1fe, \"HdrS\" at 0x202)");
        int version = Bytes.u16(b, 0x206, "version");
        if (version < 0x0200) throw new FormatException(String.format("boot protocol %x.%02x is too old", version >> 8, version & 0xff));
        int setupSects = Bytes.u8(b, 0x1f1, "setup_sects");
        if (setupSects == 0) setupSects = 4; // boot.rst: 0 means 4
        long setupSize = (setupSects + 1L) * 512;
        int kvOff = Bytes.u16(b, 0x20e, "kernel_version");
        String kv = "";
        if (kvOff != 0 && kvOff + 0x200 < b.length) kv = Bytes.cString(b, kvOff + 0x200L, 128, "kernel version string");
        long payloadOffset = Bytes.u32(b, 0x248, "payload_offset");
        long payloadLength = Bytes.u32(b, 0x24c, "payload_length");
        String comp = null;
        if (version >= 0x0208 && payloadLength > 0) comp = compression(b, setupSize + payloadOffset);
        return new BzImageHeader(setupSects, version, kv,
                Bytes.u8(b, 0x211, "loadflags"),
                Bytes.u32(b, 0x214, "code32_start"),
                Bytes.u32(b, 0x22c, "initrd_addr_max"),
                Bytes.u32(b, 0x230, "kernel_alignment"),
                Bytes.u8(b, 0x234, "relocatable_kernel") != 0,
                Bytes.u8(b, 0x235, "min_alignment"),
                version >= 0x020c ? Bytes.u16(b, 0x236, "xloadflags") : 0,
                version >= 0x0206 ? Bytes.u32(b, 0x238, "cmdline_size") : 255,
                payloadOffset, payloadLength,
                Bytes.u64(b, 0x258, "pref_address"),
                Bytes.u32(b, 0x260, "init_size"),
                version >= 0x020b ? Bytes.u32(b, 0x264, "handover_offset") : 0,
                version >= 0x020f ? Bytes.u32(b, 0x268, "kernel_info_offset") : 0,
                setupSize, comp);
    }

    /** "2.15" style protocol version. */
    public String protocol() {
        return (version >> 8) + "." + String.format("%02d", version & 0xff);
    }

    /** The compression of the protected-mode payload, from its magic bytes. */
    static String compression(byte[] b, long off) {
        if (Bytes.startsWith(b, off, new byte[] {0x1f, (byte) 0x8b})) return "gzip";
        if (Bytes.startsWith(b, off, new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0})) return "xz";
        if (Bytes.startsWith(b, off, new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd})) return "zstd";
        if (Bytes.startsWith(b, off, new byte[] {0x02, 0x21, 0x4c, 0x18})) return "lz4";
        if (Bytes.startsWith(b, off, new byte[] {'B', 'Z', 'h'})) return "bzip2";
        if (Bytes.startsWith(b, off, new byte[] {(byte) 0x89, 'L', 'Z', 'O'})) return "lzo";
        if (Bytes.startsWith(b, off, new byte[] {0x5d, 0})) return "lzma";
        if (Bytes.startsWith(b, off, new byte[] {0x7f, 'E', 'L', 'F'})) return "none (ELF)";
        return "unknown";
    }
}
