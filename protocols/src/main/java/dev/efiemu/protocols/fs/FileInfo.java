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
    public static final long READ_ONLY = 0x1, DIRECTORY = 0x10, ARCHIVE = 0x20;
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

    /** EFI_TIME, 16 bytes. */
    static void time(ByteBuffer b, ZonedDateTime t) {
        b.putShort((short) t.getYear()).put((byte) t.getMonthValue()).put((byte) t.getDayOfMonth())
                .put((byte) t.getHour()).put((byte) t.getMinute()).put((byte) t.getSecond()).put((byte) 0)
                .putInt(0).putShort((short) 0).put((byte) 0).put((byte) 0);
    }
}
