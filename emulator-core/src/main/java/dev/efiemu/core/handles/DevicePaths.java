package dev.efiemu.core.handles;

import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.loader.Guid;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** EFI_DEVICE_PATH_PROTOCOL byte strings (UEFI spec §10.3): nodes of {type, subtype, u16 length}, ended by 7f/ff. */
public final class DevicePaths {
    public static final int END_TYPE = 0x7f;
    public static final int END_ENTIRE = 0xff;
    public static final byte[] END = {0x7f, (byte) 0xff, 4, 0};
    static final int MAX = 64 * 1024;

    private DevicePaths() {}

    /** Reads a whole device path (including its end node) from guest memory; null for a NULL pointer. */
    public static byte[] read(GuestMemory mem, long address) {
        if (address == 0) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long at = address;
        while (out.size() < MAX) {
            byte[] hdr = mem.read(at, 4);
            int len = (hdr[2] & 0xff) | (hdr[3] & 0xff) << 8;
            if (len < 4) throw new IllegalArgumentException(String.format("device path node at 0x%x has length %d", at, len));
            out.writeBytes(mem.read(at, len));
            if ((hdr[0] & 0xff) == END_TYPE && (hdr[1] & 0xff) == END_ENTIRE) return out.toByteArray();
            at += len;
        }
        throw new IllegalArgumentException(String.format("device path at 0x%x has no end node within 64 KiB", address));
    }

    /** Size of the path without its final end node. */
    public static int lengthWithoutEnd(byte[] path) {
        int off = 0;
        while (off + 4 <= path.length) {
            int type = path[off] & 0xff, sub = path[off + 1] & 0xff;
            int len = (path[off + 2] & 0xff) | (path[off + 3] & 0xff) << 8;
            if (type == END_TYPE && sub == END_ENTIRE) return off;
            off += len;
        }
        return path.length;
    }

    /**
     * How many bytes of {@code path} the whole of {@code prefix} matches node by node (without
     * its end node), or -1 when it is not a prefix.
     */
    public static int prefixLength(byte[] prefix, byte[] path) {
        int n = lengthWithoutEnd(prefix);
        if (n > lengthWithoutEnd(path)) return -1;
        if (!Arrays.equals(prefix, 0, n, path, 0, n)) return -1;
        return n;
    }

    /** Vendor-defined media node VenMedia(guid) (§10.3.5.6: type 4, subtype 3) followed by End. */
    public static byte[] vendorMedia(Guid guid) {
        ByteBuffer b = ByteBuffer.allocate(20 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 4).put((byte) 3).putShort((short) 20).put(guid.toBytes()).put(END);
        return b.array();
    }

    /** A media file path node (type 4, subtype 4) with a CHAR16 path, followed by End. */
    public static byte[] filePath(String path) {
        byte[] name = GuestMemory.utf16z(path);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 4).put((byte) 4).putShort((short) (4 + name.length)).put(name).put(END);
        return b.array();
    }

    /** The last component of the media file path nodes in {@code path} ("x.efi"), or null if it has none. */
    public static String fileName(byte[] path) {
        String last = null;
        int off = 0;
        while (off + 4 <= path.length) {
            int type = path[off] & 0xff, sub = path[off + 1] & 0xff;
            int len = (path[off + 2] & 0xff) | (path[off + 3] & 0xff) << 8;
            if (type == END_TYPE && sub == END_ENTIRE) break;
            if (len < 4 || off + len > path.length) return last;
            if (type == 4 && sub == 4 && len > 6) {
                String s = new String(path, off + 4, len - 4, java.nio.charset.StandardCharsets.UTF_16LE).replace("\0", "");
                int slash = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
                if (!s.isEmpty()) last = s.substring(slash + 1);
            }
            off += len;
        }
        return last == null || last.isEmpty() ? null : last;
    }

    /** Concatenates {@code a} (without its end) and {@code b}. */
    public static byte[] append(byte[] a, byte[] b) {
        int n = lengthWithoutEnd(a);
        byte[] out = Arrays.copyOf(a, n + b.length);
        System.arraycopy(b, 0, out, n, b.length);
        return out;
    }
}
