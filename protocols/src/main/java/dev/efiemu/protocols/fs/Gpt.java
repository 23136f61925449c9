package dev.efiemu.protocols.fs;

import dev.efiemu.loader.Guid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * A GUID partition table with one EFI System Partition (UEFI spec §5.3): protective MBR, primary
 * header and entries at LBA 1-33, backup entries and header at the end. The partition's unique
 * GUID is the ESP's, so the disk, the HD() device path node and LoaderDevicePartUUID agree.
 */
final class Gpt {
    static final long FIRST_PARTITION_LBA = 2048;
    static final int ENTRIES = 128, ENTRY_SIZE = 128, ENTRY_SECTORS = ENTRIES * ENTRY_SIZE / 512;
    static final long TAIL_SECTORS = 1 + ENTRY_SECTORS;
    static final Guid ESP_TYPE = Guid.parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");

    private Gpt() {}

    static void write(Path image, long fatSectors, Guid partition) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            long last = f.length() / 512 - 1;
            ByteBuffer mbr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            mbr.position(446);
            mbr.put((byte) 0).put(new byte[] {0, 2, 0}).put((byte) 0xee).put(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
            mbr.putInt(1).putInt((int) Math.min(last, 0xffffffffL));
            mbr.putShort(510, (short) 0xaa55);
            f.seek(0);
            f.write(mbr.array());

            ByteBuffer entries = ByteBuffer.allocate(ENTRIES * ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            entries.put(ESP_TYPE.toBytes()).put(partition.toBytes());
            entries.putLong(FIRST_PARTITION_LBA).putLong(FIRST_PARTITION_LBA + fatSectors - 1).putLong(0);
            entries.put("EFI System".getBytes(StandardCharsets.UTF_16LE));
            CRC32 ecrc = new CRC32();
            ecrc.update(entries.array());
            Guid disk = Guid.nameBased(("efiemu-disk:" + partition).getBytes(StandardCharsets.UTF_8));
            f.seek(512);
            f.write(header(1, last, 2, last, disk, ecrc.getValue()));
            f.seek(2 * 512);
            f.write(entries.array());
            f.seek((last - ENTRY_SECTORS) * 512);
            f.write(entries.array());
            f.seek(last * 512);
            f.write(header(last, 1, last - ENTRY_SECTORS, last, disk, ecrc.getValue()));
        }
    }

    private static byte[] header(long current, long backup, long entriesLba, long last, Guid disk, long entriesCrc) {
        ByteBuffer h = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        h.put("EFI PART".getBytes(StandardCharsets.US_ASCII)).putInt(0x00010000).putInt(92).putInt(0).putInt(0);
        h.putLong(current).putLong(backup).putLong(34).putLong(last - TAIL_SECTORS);
        h.put(disk.toBytes()).putLong(entriesLba).putInt(ENTRIES).putInt(ENTRY_SIZE).putInt((int) entriesCrc);
        CRC32 crc = new CRC32();
        crc.update(h.array(), 0, 92);
        h.putInt(16, (int) crc.getValue());
        return h.array();
    }
}
