package dev.efiemu.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/** EFI_GUID: {u32, u16, u16, u8[8]} stored little-endian for the first three fields (UEFI spec Appendix A). */
public record Guid(long msb, long lsb) {

    public static Guid parse(String s) {
        String h = s.replace("-", "");
        if (h.length() != 32) throw new IllegalArgumentException("not a GUID: " + s);
        return new Guid(Long.parseUnsignedLong(h.substring(0, 16), 16), Long.parseUnsignedLong(h.substring(16), 16));
    }

    /** Reads the 16-byte in-memory form. */
    public static Guid fromBytes(byte[] b, int off) {
        ByteBuffer le = ByteBuffer.wrap(b, off, 16).order(ByteOrder.LITTLE_ENDIAN);
        long d1 = le.getInt() & 0xffffffffL;
        long d2 = le.getShort() & 0xffffL;
        long d3 = le.getShort() & 0xffffL;
        long lsb = ByteBuffer.wrap(b, off + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        return new Guid((d1 << 32) | (d2 << 16) | d3, lsb);
    }

    public byte[] toBytes() {
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
        bb.order(ByteOrder.BIG_ENDIAN).putLong(lsb);
        return bb.array();
    }

    @Override
    public String toString() {
        String h = String.format("%016x%016x", msb, lsb);
        return (h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20) + "-"
                + h.substring(20)).toLowerCase(Locale.ROOT);
    }
}
