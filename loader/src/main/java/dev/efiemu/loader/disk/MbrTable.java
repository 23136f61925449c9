package dev.efiemu.loader.disk;

import dev.efiemu.loader.FormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The legacy master boot record (UEFI spec §5.2.1): four primary entries at 0x1be, and the logical
 * partitions of an extended partition's chain of EBRs, as edk2's PartitionDxe reads them. An entry
 * that runs past the disk, overlaps another or a broken EBR chain is corrupt.
 */
public final class MbrTable {
    static final int ENTRIES = 0x1be, SIGNATURE = 0x1fe;
    static final int PROTECTIVE = 0xee;
    static final Set<Integer> EXTENDED = Set.of(0x05, 0x0f, 0x85);
    /** System indicators of FAT file systems, and 0xef (an EFI system partition on an MBR disk). */
    static final Set<Integer> FAT_TYPES = Set.of(0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e, 0xef);
    static final int MAX_LOGICAL = 128;

    private MbrTable() {}

    /** True when {@code sector0} ends in 0x55 0xaa. */
    public static boolean signed(byte[] sector0) {
        return sector0.length >= 512 && (sector0[SIGNATURE] & 0xff) == 0x55 && (sector0[SIGNATURE + 1] & 0xff) == 0xaa;
    }

    /** True when one of the four entries is a GPT protective partition (type 0xee). */
    public static boolean protective(byte[] sector0) {
        if (!signed(sector0)) return false;
        for (int i = 0; i < 4; i++) if ((sector0[ENTRIES + 16 * i + 4] & 0xff) == PROTECTIVE) return true;
        return false;
    }

    /** The partitions of an MBR disk of {@code disk.size()} bytes, 512-byte sectors. */
    public static List<Partition> parse(DiskReader disk) {
        byte[] s0 = disk.bytes(0, 512);
        if (!signed(s0)) throw new FormatException("MBR at offset 0x1fe: no 0x55aa signature");
        long sectors = disk.size() / 512;
        long signature = u32(s0, 0x1b8);
        List<Partition> out = new ArrayList<>();
        List<long[]> taken = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int off = ENTRIES + 16 * i;
            int boot = s0[off] & 0xff, type = s0[off + 4] & 0xff;
            long start = u32(s0, off + 8), count = u32(s0, off + 12);
            if (type == 0 || count == 0) continue;
            if (boot != 0 && boot != 0x80) {
                throw new FormatException(String.format("MBR partition entry %d at offset 0x%x: boot indicator 0x%02x is neither 0x00 nor 0x80", i + 1, off, boot));
            }
            check(start, count, sectors, taken, String.format("MBR partition entry %d at offset 0x%x", i + 1, off));
            if (EXTENDED.contains(type)) {
                logical(disk, start, count, sectors, signature, out);
                continue;
            }
            out.add(partition(i + 1, start, count, type, signature));
        }
        return List.copyOf(out);
    }

    /** The logical partitions: a chain of EBRs, each with one partition and a link, relative to the extended partition. */
    private static void logical(DiskReader disk, long extStart, long extCount, long sectors, long signature, List<Partition> out) {
        long ebr = extStart;
        List<long[]> taken = new ArrayList<>();
        for (int n = 5; n < 5 + MAX_LOGICAL; n++) {
            String at = String.format("EBR at offset 0x%x", ebr * 512);
            byte[] s = disk.bytes(ebr * 512, 512);
            if (!signed(s)) throw new FormatException(at + ": no 0x55aa signature");
            int type = s[ENTRIES + 4] & 0xff;
            long start = u32(s, ENTRIES + 8), count = u32(s, ENTRIES + 12);
            if (type != 0 && count != 0) {
                long abs = ebr + start;
                if (abs + count > extStart + extCount) throw new FormatException(at + ": logical partition " + n + " runs past its extended partition");
                check(abs, count, sectors, taken, at);
                out.add(partition(n, abs, count, type, signature));
            }
            int linkType = s[ENTRIES + 16 + 4] & 0xff;
            long link = u32(s, ENTRIES + 16 + 8);
            if (linkType == 0 || link == 0) return;
            long next = extStart + link;
            if (next <= ebr || next >= extStart + extCount) throw new FormatException(at + ": the next EBR at sector " + next + " is not after this one inside the extended partition");
            ebr = next;
        }
        throw new FormatException("EBR chain at offset 0x" + Long.toHexString(extStart * 512) + ": more than " + MAX_LOGICAL + " logical partitions");
    }

    private static void check(long start, long count, long sectors, List<long[]> taken, String at) {
        if (start == 0 || start + count > sectors) {
            throw new FormatException(at + ": sectors " + start + ".." + (start + count - 1) + " are not on the disk (" + sectors + " sectors)");
        }
        for (long[] t : taken) {
            if (start < t[1] && t[0] < start + count) throw new FormatException(at + ": overlaps sectors " + t[0] + ".." + (t[1] - 1));
        }
        taken.add(new long[] {start, start + count});
    }

    private static Partition partition(int number, long start, long count, int type, long signature) {
        return new Partition(Partition.Scheme.MBR, number, start * 512, count * 512, null, null, type, signature, -1, FAT_TYPES.contains(type));
    }

    static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
    }
}
