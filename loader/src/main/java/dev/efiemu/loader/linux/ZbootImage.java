package dev.efiemu.loader.linux;

import com.github.luben.zstd.ZstdInputStream;
import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * An EFI zboot image (Linux drivers/firmware/efi/libstub/zboot-header.S): a PE/EFI decompressor
 * whose MS-DOS header carries "MZ" at 0, "zimg" at 4, the payload offset (u32 at 8) and size
 * (u32 at 12) and the NUL-terminated compression name at 0x18. The payload is followed by a
 * le32 with the decompressed size (for gzip it is the stream's own ISIZE trailer, which the
 * header's payload size includes; for zstd kbuild appends it after the frame and the header's
 * size excludes it — Makefile.zboot's zboot-size-len). Kernels since 6.2 pad the payload to the
 * Image's in-memory size (image_size), so the output may end in zeros; 6.1 compresses the Image as
 * it is. The compression name is the kernel's: "gzip", and "zstd22" in 6.1 where later kernels
 * write "zstd" (the same format).
 */
public record ZbootImage(long payloadOffset, long payloadSize, String compression, long declaredSize) {
    /** Default limit on decompressed output. */
    public static final long DEFAULT_LIMIT = 256L << 20;

    public static boolean looksLikeZboot(byte[] b) {
        return b.length >= 0x40 && b[0] == 'M' && b[1] == 'Z' && Bytes.startsWith(b, 4, new byte[] {'z', 'i', 'm', 'g'});
    }

    public static ZbootImage parse(byte[] b) {
        if (!looksLikeZboot(b)) throw new FormatException("not an EFI zboot image (no \"MZ\" at 0 and \"zimg\" at 4)");
        long off = Bytes.u32(b, 8, "zboot payload offset");
        long size = Bytes.u32(b, 12, "zboot payload size");
        String comp = Bytes.cString(b, 0x18, 32, "zboot compression type");
        if (size == 0) throw new FormatException("zboot payload size is 0");
        // gzip: the le32 is the stream's last 4 bytes; others: it follows the payload.
        long sizeAt = comp.equals("gzip") ? off + size - 4 : off + size;
        if (off == 0 || off > b.length) {
            throw new FormatException(String.format("zboot payload offset 0x%x is outside the file (0x%x bytes)", off, b.length));
        }
        if (sizeAt < off || sizeAt + 4 > b.length) {
            throw new FormatException(String.format("zboot payload at offset 0x%x size 0x%x (and its le32 size at 0x%x) extends beyond the end of the file (0x%x bytes)",
                    off, size, sizeAt, b.length));
        }
        return new ZbootImage(off, size, comp, Bytes.u32(b, sizeAt, "zboot decompressed size"));
    }

    public byte[] decompress(byte[] file) {
        return decompress(file, DEFAULT_LIMIT);
    }

    /**
     * Decompresses the payload, refusing a declared size above {@code limit} and any output that
     * differs in length from the declared size. Memory use is bounded by the declared size.
     */
    public byte[] decompress(byte[] file, long limit) {
        if (declaredSize > limit) {
            throw new FormatException(String.format("zboot declared decompressed size %d (le32 at offset 0x%x) exceeds the %d-byte limit",
                    declaredSize, compression.equals("gzip") ? payloadOffset + payloadSize - 4 : payloadOffset + payloadSize, limit));
        }
        ByteArrayInputStream raw = new ByteArrayInputStream(file, (int) payloadOffset, (int) payloadSize);
        // Grow the output as data arrives: a false declared size costs no memory up front.
        byte[] out = new byte[(int) Math.min(declaredSize, 1 << 20)];
        int n = 0;
        try (InputStream in = open(raw)) {
            while (true) {
                if (n == out.length) {
                    if (n == declaredSize) break;
                    out = java.util.Arrays.copyOf(out, (int) Math.min(declaredSize, Math.max(2L * n, 1)));
                }
                int r = in.read(out, n, out.length - n);
                if (r < 0) break;
                n += r;
            }
            if (n == declaredSize && in.read() >= 0) {
                throw new FormatException(String.format("zboot %s payload decompresses to more than the declared %d bytes", compression, declaredSize));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof FormatException fe) throw fe;
            throw new FormatException(String.format("zboot %s payload at offset 0x%x is corrupt: %s", compression, payloadOffset,
                    e.getMessage() != null ? e.getMessage().replace('\n', ' ') : e.getClass().getSimpleName()));
        }
        if (n != declaredSize) {
            throw new FormatException(String.format("zboot %s payload decompresses to %d bytes, but the trailing le32 declares %d", compression, n, declaredSize));
        }
        return out;
    }

    private InputStream open(InputStream raw) throws IOException {
        return switch (compression) {
            case "gzip" -> new GZIPInputStream(raw, 65536);
            case "zstd", "zstd22" -> new ZstdInputStream(raw);
            default -> throw new FormatException("zboot compression \"" + compression + "\" is not supported (gzip and zstd are)");
        };
    }
}
