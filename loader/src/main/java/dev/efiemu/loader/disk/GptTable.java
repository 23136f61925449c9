package dev.efiemu.loader.disk;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The GUID partition table (UEFI spec §5.3): the primary header at LBA 1 and its entry array, checked
 * as the spec asks (signature, HeaderCRC32, MyLBA, PartitionEntryArrayCRC32, entries inside the
 * usable LBAs). A disk whose protective MBR announces a GPT that does not pass is corrupt: the
 * message names the offset of what failed.
 */
public final class GptTable {
    static final int HEADER_MIN = 92;
    /** More entry bytes than any real table has (the spec's minimum is 16 KiB; tools write 16 KiB). */
    static final long MAX_ENTRY_BYTES = 4L << 20;

    /**
     * @param header    the header's HeaderSize bytes (for UEFI_GPT_DATA)
     * @param used      the non-empty EFI_PARTITION_ENTRYs, raw, in table order (for UEFI_GPT_DATA)
     */
    public record Table(Guid diskGuid, List<Partition> partitions, byte[] header, List<byte[]> used) {
        /** UEFI_GPT_DATA (TCG PC Client PFP §10.4.4): the header, the number of entries in use, those entries. */
        public byte[] gptData() {
            int n = 0;
            for (byte[] e : used) n += e.length;
            ByteBuffer b = ByteBuffer.allocate(header.length + 8 + n).order(ByteOrder.LITTLE_ENDIAN);
            b.put(header).putLong(used.size());
            for (byte[] e : used) b.put(e);
            return b.array();
        }
    }

    private GptTable() {}

    /** Parses the GPT of {@code disk} with {@code block}-byte LBAs. */
    public static Table parse(DiskReader disk, int block) {
        long blocks = disk.size() / block;
        if (blocks < 3) throw new FormatException("GPT header at offset 0x" + Long.toHexString(block) + ": the disk has only " + blocks + " blocks");
        byte[] h = disk.bytes(block, block);
        String at = "GPT header at offset 0x" + Long.toHexString(block);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != 0x5452415020494645L) throw new FormatException(at + ": no \"EFI PART\" signature");
        int size = b.getInt(12);
        if (size < HEADER_MIN || size > block) throw new FormatException(at + ": HeaderSize " + Integer.toUnsignedString(size) + " is not in 92.." + block);
        long crc = b.getInt(16) & 0xffffffffL;
        byte[] header = java.util.Arrays.copyOf(h, size);
        ByteBuffer zeroed = ByteBuffer.wrap(header.clone()).order(ByteOrder.LITTLE_ENDIAN);
        zeroed.putInt(16, 0);
        CRC32 c = new CRC32();
        c.update(zeroed.array());
        if (c.getValue() != crc) {
            throw new FormatException(String.format("%s: HeaderCRC32 0x%08x, but the header's CRC32 is 0x%08x", at, crc, c.getValue()));
        }
        long my = b.getLong(24), firstUsable = b.getLong(40), lastUsable = b.getLong(48);
        if (my != 1) throw new FormatException(at + ": MyLBA is " + Long.toUnsignedString(my) + ", not 1");
        if (Long.compareUnsigned(firstUsable, lastUsable) > 0 || Long.compareUnsigned(lastUsable, blocks) >= 0) {
            throw new FormatException(String.format("%s: usable LBAs %s..%s do not fit the disk's %d blocks", at,
                    Long.toUnsignedString(firstUsable), Long.toUnsignedString(lastUsable), blocks));
        }
        Guid diskGuid = Guid.fromBytes(h, 56);
        long entriesLba = b.getLong(72);
        long count = b.getInt(80) & 0xffffffffL, entrySize = b.getInt(84) & 0xffffffffL;
        long entriesCrc = b.getInt(88) & 0xffffffffL;
        if (entrySize < 128 || entrySize % 8 != 0 || entrySize > 4096) {
            throw new FormatException(at + ": SizeOfPartitionEntry " + entrySize + " is not a multiple of 8 in 128..4096");
        }
        long bytes = count * entrySize;
        if (bytes > MAX_ENTRY_BYTES) throw new FormatException(at + ": " + count + " partition entries of " + entrySize + " bytes is too many");
        if (Long.compareUnsigned(entriesLba, 2) < 0 || Long.compareUnsigned(entriesLba, blocks) >= 0
                || entriesLba * block > disk.size() - bytes) {
            throw new FormatException(at + ": the partition entry array at LBA " + Long.toUnsignedString(entriesLba) + " is not on the disk");
        }
        byte[] entries = disk.bytes(entriesLba * block, (int) bytes);
        c.reset();
        c.update(entries);
        if (c.getValue() != entriesCrc) {
            throw new FormatException(String.format("GPT partition entry array at offset 0x%x: PartitionEntryArrayCRC32 0x%08x, but the array's CRC32 is 0x%08x",
                    entriesLba * block, entriesCrc, c.getValue()));
        }
        List<Partition> parts = new ArrayList<>();
        List<byte[]> used = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int off = (int) (i * entrySize);
            Guid type = Guid.fromBytes(entries, off);
            if (type.msb() == 0 && type.lsb() == 0) continue;
            ByteBuffer e = ByteBuffer.wrap(entries, off, (int) entrySize).order(ByteOrder.LITTLE_ENDIAN);
            long start = e.getLong(off + 32), end = e.getLong(off + 40);
            if (Long.compareUnsigned(start, end) > 0 || Long.compareUnsigned(start, firstUsable) < 0 || Long.compareUnsigned(end, lastUsable) > 0) {
                throw new FormatException(String.format("GPT partition entry %d at offset 0x%x: LBAs %s..%s are outside the usable LBAs %d..%d",
                        i + 1, entriesLba * block + off, Long.toUnsignedString(start), Long.toUnsignedString(end), firstUsable, lastUsable));
            }
            used.add(java.util.Arrays.copyOfRange(entries, off, (int) (off + entrySize)));
            parts.add(new Partition(Partition.Scheme.GPT, i + 1, start * block, (end - start + 1) * block, type,
                    Guid.fromBytes(entries, off + 16), 0, 0, -1, type.equals(Partition.ESP_TYPE)));
        }
        return new Table(diskGuid, List.copyOf(parts), header, List.copyOf(used));
    }
}
