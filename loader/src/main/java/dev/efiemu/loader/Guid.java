package dev.efiemu.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.UUID;

/**
 * EFI_GUID (UEFI spec Appendix A): {u32 Data1; u16 Data2; u16 Data3; u8 Data4[8]}, the first three
 * fields little-endian, Data4 as stored. {@code msb}/{@code lsb} are the 128 bits in the order of
 * the text form ("8be4df61-93ca-11d2-aa0d-00e098032b8c"), as in {@link UUID}.
 */
public record Guid(long msb, long lsb) {

    /** The text form, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits of either case; the dashes are ignored). */
    public static Guid parse(String s) {
        String h = s.replace("-", "");
        if (h.length() != 32) throw new IllegalArgumentException("not a GUID: " + s);
        return new Guid(Long.parseUnsignedLong(h.substring(0, 16), 16), Long.parseUnsignedLong(h.substring(16), 16));
    }

    /** Reads the 16-byte in-memory form at {@code off}; a {@link FormatException} when it does not fit. */
    public static Guid fromBytes(byte[] b, long off) {
        Bytes.require(b.length, off, 16, "EFI_GUID");
        ByteBuffer le = ByteBuffer.wrap(b, (int) off, 16).order(ByteOrder.LITTLE_ENDIAN);
        long d1 = le.getInt() & 0xffffffffL;
        long d2 = le.getShort() & 0xffffL;
        long d3 = le.getShort() & 0xffffL;
        long lsb = ByteBuffer.wrap(b, (int) off + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        return new Guid((d1 << 32) | (d2 << 16) | d3, lsb);
    }

    /** A name-based (version 3, MD5) GUID: the same value as {@link UUID#nameUUIDFromBytes}. */
    public static Guid nameBased(byte[] name) {
        UUID u = UUID.nameUUIDFromBytes(name);
        return new Guid(u.getMostSignificantBits(), u.getLeastSignificantBits());
    }

    /** The 16-byte in-memory form. */
    public byte[] toBytes() {
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
        bb.order(ByteOrder.BIG_ENDIAN).putLong(lsb);
        return bb.array();
    }

    /** Lower-case text form. */
    @Override
    public String toString() {
        String h = String.format("%016x%016x", msb, lsb);
        return (h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20) + "-"
                + h.substring(20)).toLowerCase(Locale.ROOT);
    }
}
