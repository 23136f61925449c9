package dev.efiemu.protocols.fs;

import dev.efiemu.core.memory.GuestMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/** EFI_FILE_INFO (UEFI spec §13.5.16): {u64 Size, FileSize, PhysicalSize; EFI_TIME x3; u64 Attribute; CHAR16 FileName[]}. */
public final class FileInfo {
    public static final long READ_ONLY = 0x1, HIDDEN = 0x2, SYSTEM = 0x4, DIRECTORY = 0x10, ARCHIVE = 0x20;
    static final long VALID_ATTRIBUTES = 0x37;
    static final int HEADER = 80;

    private FileInfo() {}

    public static byte[] of(Path p, String name, boolean readOnly) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        byte[] n = GuestMemory.utf16z(name);
        ByteBuffer b = ByteBuffer.allocate(HEADER + n.length).order(ByteOrder.LITTLE_ENDIAN);
        long size = a.isDirectory() ? 0 : a.size();
        b.putLong(HEADER + n.length).putLong(size).putLong((size + 4095) & ~4095L);
        time(b, a.creationTime().toInstant().atZone(ZoneOffset.UTC));
        time(b, a.lastAccessTime().toInstant().atZone(ZoneOffset.UTC));
        time(b, a.lastModifiedTime().toInstant().atZone(ZoneOffset.UTC));
        long attr = a.isDirectory() ? DIRECTORY : ARCHIVE;
        if (readOnly) attr |= READ_ONLY;
        b.putLong(attr).put(n);
        return b.array();
    }

    /**
     * The fields of an EFI_FILE_INFO as a payload passes it to SetInfo; null when its Size field
     * disagrees with the buffer or the name has no terminating NUL.
     */
    record Fields(long size, long fileSize, byte[] createTime, byte[] accessTime, byte[] modificationTime, long attribute,
                  String name) {
        /** A time field asks for a change: not all zero (the spec's "leave it"), and not what the file has. */
        boolean changes(byte[] wanted, byte[] current) {
            boolean zero = true;
            for (byte x : wanted) zero &= x == 0;
            return !zero && !java.util.Arrays.equals(wanted, current);
        }
    }

    static Fields parse(byte[] b) {
        if (b.length < HEADER + 2) return null;
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long size = bb.getLong(0);
        if (size < HEADER + 2 || size > b.length) return null;
        int end = -1;
        for (int i = HEADER; i + 1 < size; i += 2) {
            if (b[i] == 0 && b[i + 1] == 0) {
                end = i;
                break;
            }
        }
        if (end < 0) return null;
        String name = new String(b, HEADER, end - HEADER, java.nio.charset.StandardCharsets.UTF_16LE);
        return new Fields(size, bb.getLong(8), java.util.Arrays.copyOfRange(b, 24, 40), java.util.Arrays.copyOfRange(b, 40, 56),
                java.util.Arrays.copyOfRange(b, 56, 72), bb.getLong(72), name);
    }

    /** An EFI_TIME (§8.3) as an instant: Localtime = UTC + TimeZone (minutes; 0x7ff unspecified, taken as UTC). */
    static java.time.Instant instant(byte[] t) {
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        ZonedDateTime z = ZonedDateTime.of(b.getShort(0) & 0xffff, t[2], t[3], t[4], t[5], t[6], b.getInt(8), ZoneOffset.UTC);
        int tz = b.getShort(12);
        return tz == 0x7ff ? z.toInstant() : z.toInstant().minusSeconds(60L * tz);
    }

    /** EFI_TIME, 16 bytes. */
    static void time(ByteBuffer b, ZonedDateTime t) {
        b.putShort((short) t.getYear()).put((byte) t.getMonthValue()).put((byte) t.getDayOfMonth())
                .put((byte) t.getHour()).put((byte) t.getMinute()).put((byte) t.getSecond()).put((byte) 0)
                .putInt(0).putShort((short) 0).put((byte) 0).put((byte) 0);
    }
}
