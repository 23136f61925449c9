package dev.efiemu.loader;


/**
 * Bounds-checked little-endian reads from a byte array. Every read outside the array fails with a
 * {@link FormatException} naming what was read and where, never an ArrayIndexOutOfBounds.
 */
public final class Bytes {
    private Bytes() {}

    /** Fails unless {@code [off, off+len)} lies inside an array of {@code size} bytes. */
    public static void require(long size, long off, long len, String what) {
        if (off < 0 || len < 0 || off > size || len > size - off) {
            throw new FormatException(String.format("%s at offset 0x%x (+0x%x) lies beyond the end of the data (0x%x bytes)",
                    what, off, len, size));
        }
    }

    public static int u8(byte[] b, long off, String what) {
        require(b.length, off, 1, what);
        return b[(int) off] & 0xff;
    }

    public static int u16(byte[] b, long off, String what) {
        require(b.length, off, 2, what);
        int o = (int) off;
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    /** Unsigned 32-bit value as a long. */
    public static long u32(byte[] b, long off, String what) {
        require(b.length, off, 4, what);
        int o = (int) off;
        return ((b[o] & 0xffL) | (b[o + 1] & 0xffL) << 8 | (b[o + 2] & 0xffL) << 16 | (b[o + 3] & 0xffL) << 24);
    }

    public static long u64(byte[] b, long off, String what) {
        require(b.length, off, 8, what);
        return u32(b, off, what) | u32(b, off + 4, what) << 32;
    }

    public static byte[] slice(byte[] b, long off, long len, String what) {
        require(b.length, off, len, what);
        byte[] r = new byte[(int) len];
        System.arraycopy(b, (int) off, r, 0, (int) len);
        return r;
    }

    /**
     * ASCII up to the first NUL or {@code max} bytes, whichever comes first; bytes outside
     * printable ASCII come out as \xNN so the text is always safe in a one-line message.
     */
    public static String cString(byte[] b, long off, int max, String what) {
        require(b.length, off, 0, what);
        int o = (int) off;
        StringBuilder s = new StringBuilder();
        for (int i = o; i < b.length && i - o < max && b[i] != 0; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f) s.append((char) c);
            else s.append(String.format("\\x%02x", c));
        }
        return s.toString();
    }

    public static boolean startsWith(byte[] b, long off, byte[] magic) {
        if (off < 0 || off + magic.length > b.length) return false;
        for (int i = 0; i < magic.length; i++) if (b[(int) off + i] != magic[i]) return false;
        return true;
    }

    public static void putU32(byte[] b, int off, long v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    public static void putU64(byte[] b, int off, long v) {
        putU32(b, off, v);
        putU32(b, off + 4, v >>> 32);
    }

    public static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    public static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) s.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        return s.toString();
    }

    public static long alignUp(long v, long a) {
        return (v + a - 1) & -a;
    }
}
