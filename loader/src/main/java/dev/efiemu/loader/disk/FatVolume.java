package dev.efiemu.loader.disk;

import dev.efiemu.loader.FormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A read-only FAT12/16/32 file system inside a disk image (Microsoft FAT specification 1.03: the BPB
 * §3, FAT type by cluster count §3.5, directory entries §6, long names §7), for firmware-style
 * SimpleFileSystem on partitions and El Torito EFI images. Nothing is ever written. Names match
 * case-insensitively, long names first, then 8.3 names.
 *
 * <p>The boot sector is checked when the volume is opened; a broken cluster chain or directory found
 * later is a {@link FormatException} naming the offset (the protocol answers EFI_VOLUME_CORRUPTED).
 * No well-kept Java FAT library exists on Maven Central (fat32-lib's last release is from 2011 and
 * writes), so this is a small reader.
 */
public final class FatVolume {
    public enum Type { FAT12, FAT16, FAT32 }

    /** Attribute bits (§6.1). */
    public static final int READ_ONLY = 0x01, HIDDEN = 0x02, SYSTEM = 0x04, VOLUME_ID = 0x08, DIRECTORY = 0x10, ARCHIVE = 0x20;
    static final int LONG_NAME = 0x0f;
    /** The most entries a FAT directory may have (§6). */
    static final int MAX_DIR_ENTRIES = 65536;

    /**
     * A file or directory. Dates and times are FAT's packed forms (§6.1: date = year-1980 &lt;&lt; 9 |
     * month &lt;&lt; 5 | day, time = hour &lt;&lt; 11 | minute &lt;&lt; 5 | seconds/2).
     */
    public record Node(String name, boolean directory, long size, long cluster, int attributes, int createDate, int createTime,
                       int accessDate, int modifyDate, int modifyTime) {}

    private final DiskReader disk;
    private final long base;
    private final String where;
    private final Type type;
    private final int bytesPerSector;
    private final long clusterBytes;
    private final long fatStart;
    private final long rootStart, rootEntries;
    private final long dataStart;
    private final long clusters;
    private final long rootCluster;
    private final long totalBytes;
    private final String label;
    private final Map<Long, byte[]> fatSectors = new HashMap<>();
    private final Map<Long, List<Node>> directories = new HashMap<>();

    private FatVolume(DiskReader disk, long base, String where, byte[] bs) {
        this.disk = disk;
        this.base = base;
        this.where = where;
        int bps = u16(bs, 11), spc = bs[13] & 0xff, reserved = u16(bs, 14), fats = bs[16] & 0xff, rootEnt = u16(bs, 17);
        long tot = u16(bs, 19) != 0 ? u16(bs, 19) : MbrTable.u32(bs, 32);
        long fatSize = u16(bs, 22) != 0 ? u16(bs, 22) : MbrTable.u32(bs, 36);
        long rootSectors = ((long) rootEnt * 32 + bps - 1) / bps;
        long meta = reserved + fats * fatSize + rootSectors;
        if (fatSize == 0 || tot <= meta) throw bad(String.format("%d sectors cannot hold %d reserved, %d FATs of %d sectors and %d root directory sectors",
                tot, reserved, fats, fatSize, rootSectors));
        this.bytesPerSector = bps;
        this.clusterBytes = (long) spc * bps;
        this.clusters = (tot - meta) / spc;
        this.type = clusters < 4085 ? Type.FAT12 : clusters < 65525 ? Type.FAT16 : Type.FAT32;
        this.fatStart = (long) reserved * bps;
        this.rootStart = (reserved + fats * fatSize) * bps;
        this.rootEntries = rootEnt;
        this.dataStart = meta * bps;
        this.totalBytes = tot * bps;
        long entryBits = type == Type.FAT12 ? 12 : type == Type.FAT16 ? 16 : 32;
        if (fatSize * bps * 8 < (clusters + 2) * entryBits) throw bad("a FAT of " + fatSize + " sectors is too small for " + clusters + " clusters");
        if (type == Type.FAT32) {
            if (rootEnt != 0) throw bad("a FAT32 volume with a fixed root directory of " + rootEnt + " entries");
            this.rootCluster = MbrTable.u32(bs, 44);
            if (rootCluster < 2 || rootCluster > clusters + 1) throw bad("root directory cluster " + rootCluster + " is not one of clusters 2.." + (clusters + 1));
        } else {
            if (rootEnt == 0) throw bad("a " + type + " volume without root directory entries");
            this.rootCluster = 0;
        }
        String bpbLabel = new String(bs, type == Type.FAT32 ? 71 : 43, 11, StandardCharsets.ISO_8859_1).strip();
        String fromRoot = null;
        for (byte[] e : rawRoot()) {
            if (e[0] == 0) break;
            if ((e[0] & 0xff) != 0xe5 && (e[11] & 0x3f) == VOLUME_ID) {
                fromRoot = new String(e, 0, 11, StandardCharsets.ISO_8859_1).strip();
                break;
            }
        }
        String l = fromRoot != null ? fromRoot : bpbLabel;
        this.label = l.equals("NO NAME") ? "" : l;
    }

    /** True when {@code sector} looks like a FAT boot sector (jump, sector size, cluster size, FAT count, reserved sectors). */
    public static boolean looksLikeFat(byte[] sector) {
        if (sector.length < 512) return false;
        int jmp = sector[0] & 0xff;
        if (jmp != 0xeb && jmp != 0xe9) return false;
        int bps = u16(sector, 11), spc = sector[13] & 0xff;
        return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && spc != 0 && (spc & (spc - 1)) == 0
                && u16(sector, 14) != 0 && (sector[16] & 0xff) != 0 && MbrTable.signed(sector);
    }

    /**
     * Opens the FAT file system in bytes [base, base+length) of {@code disk}.
     *
     * @param where names the volume in messages ("installer.iso El Torito boot entry 1")
     */
    public static FatVolume open(DiskReader disk, long base, long length, String where) {
        if (length < 512 || base < 0 || base > disk.size() - 512) {
            throw new FormatException(String.format("%s: FAT boot sector at offset 0x%x: the volume has %d bytes", where, base, length));
        }
        byte[] bs = disk.bytes(base, 512);
        if (!looksLikeFat(bs)) {
            throw new FormatException(String.format("%s: FAT boot sector at offset 0x%x: not a FAT BPB (jump 0x%02x, %d bytes per sector, %d sectors per cluster, signature %02x%02x)",
                    where, base, bs[0] & 0xff, u16(bs, 11), bs[13] & 0xff, bs[510] & 0xff, bs[511] & 0xff));
        }
        FatVolume v = new FatVolume(disk, base, where + String.format(": FAT boot sector at offset 0x%x", base), bs);
        if (v.totalBytes > length) {
            throw new FormatException(String.format("%s: FAT boot sector at offset 0x%x: %d bytes of file system in a %d-byte volume", where, base, v.totalBytes, length));
        }
        v.list(v.root()); // the root directory must be readable
        return v;
    }

    private FormatException bad(String what) {
        return new FormatException(where + ": " + what);
    }

    public Type type() {
        return type;
    }

    public String label() {
        return label;
    }

    public long totalBytes() {
        return totalBytes;
    }

    public int blockSize() {
        return bytesPerSector;
    }

    public Node root() {
        return new Node("", true, 0, rootCluster, DIRECTORY, 0, 0, 0, 0, 0);
    }

    /** The node at {@code path} (names from the root; "." and ".." already resolved), or null. */
    public Node lookup(List<String> path) {
        Node at = root();
        for (String name : path) {
            if (!at.directory()) return null;
            Node next = null;
            String want = name.toLowerCase(Locale.ROOT);
            for (Node n : list(at)) {
                if (n.name().toLowerCase(Locale.ROOT).equals(want)) {
                    next = n;
                    break;
                }
            }
            if (next == null) return null;
            at = next.directory() && next.cluster() == 0 ? root() : next; // ".." of a first-level directory
        }
        return at;
    }

    /** The entries of directory {@code dir} in on-disk order, "." and ".." included where the directory has them. */
    public List<Node> list(Node dir) {
        if (!dir.directory()) throw new IllegalArgumentException(dir.name() + " is not a directory");
        return directories.computeIfAbsent(dir.cluster(), c -> parseDirectory(c == 0 && type != Type.FAT32 ? rawRoot() : rawChain(c)));
    }

    /** Reads up to {@code len} bytes of file {@code f} at {@code position}; returns how many (0 at the end). */
    public int read(Node f, long position, byte[] b, int off, int len) {
        if (f.directory()) throw new IllegalArgumentException(f.name() + " is a directory");
        if (position >= f.size() || len == 0) return 0;
        int n = (int) Math.min(len, f.size() - position);
        List<Long> chain = chain(f.cluster(), (f.size() + clusterBytes - 1) / clusterBytes);
        int done = 0;
        while (done < n) {
            long at = position + done;
            int index = (int) (at / clusterBytes);
            long inCluster = at % clusterBytes;
            int take = (int) Math.min(n - done, clusterBytes - inCluster);
            long offset = dataStart + (chain.get(index) - 2) * clusterBytes + inCluster;
            readVolume(offset, b, off + done, take);
            done += take;
        }
        return n;
    }

    /** The whole of file {@code f}. */
    public byte[] readAll(Node f) {
        if (f.size() > Integer.MAX_VALUE - 8) throw new FormatException(where + ": " + shown(f.name()) + " is too large to read at once");
        byte[] b = new byte[(int) f.size()];
        read(f, 0, b, 0, b.length);
        return b;
    }

    // ---- internals ----

    private List<byte[]> rawRoot() {
        if (type == Type.FAT32) return entries(rawChain(rootCluster));
        byte[] d = new byte[(int) (rootEntries * 32)];
        readVolume(rootStart, d, 0, d.length);
        return entries(d);
    }

    private static List<byte[]> entries(byte[] d) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i + 32 <= d.length; i += 32) out.add(java.util.Arrays.copyOfRange(d, i, i + 32));
        return out;
    }

    private byte[] rawChain(long first) {
        List<Long> chain = chain(first, -1);
        long bytes = chain.size() * clusterBytes;
        if (bytes > MAX_DIR_ENTRIES * 32L) throw bad("directory at cluster " + first + " has " + bytes + " bytes, more than 65536 entries");
        byte[] d = new byte[(int) bytes];
        for (int i = 0; i < chain.size(); i++) readVolume(dataStart + (chain.get(i) - 2) * clusterBytes, d, (int) (i * clusterBytes), (int) clusterBytes);
        return d;
    }

    private List<Node> parseDirectory(Object raw) {
        @SuppressWarnings("unchecked")
        List<byte[]> es = raw instanceof byte[] d ? entries(d) : (List<byte[]>) raw;
        List<Node> out = new ArrayList<>();
        String[] lfn = null;
        int lfnSum = -1;
        for (byte[] e : es) {
            int first = e[0] & 0xff;
            if (first == 0) break;
            int attr = e[11] & 0xff;
            if (first == 0xe5) {
                lfn = null;
                continue;
            }
            if ((attr & 0x3f) == LONG_NAME) {
                int ord = first & 0x1f;
                if ((first & 0x40) != 0) {
                    lfn = ord == 0 ? null : new String[ord];
                    lfnSum = e[13] & 0xff;
                }
                if (lfn != null && ord >= 1 && ord <= lfn.length && (e[13] & 0xff) == lfnSum) lfn[ord - 1] = lfnPart(e);
                else lfn = null;
                continue;
            }
            if ((attr & VOLUME_ID) != 0) {
                lfn = null;
                continue;
            }
            String shortName = shortName(e);
            String name = shortName;
            if (lfn != null && checksum(e) == lfnSum && java.util.Arrays.stream(lfn).allMatch(java.util.Objects::nonNull)) {
                name = String.join("", lfn);
            }
            lfn = null;
            long cluster = u16(e, 26) | (type == Type.FAT32 ? (long) u16(e, 20) << 16 : 0);
            boolean dir = (attr & DIRECTORY) != 0;
            long size = dir ? 0 : MbrTable.u32(e, 28);
            if (cluster != 0 && (cluster < 2 || cluster > clusters + 1)) {
                throw bad("directory entry \"" + shown(name) + "\" starts at cluster " + cluster + ", not one of 2.." + (clusters + 1));
            }
            if (!dir && size > 0 && cluster == 0) throw bad("directory entry \"" + shown(name) + "\" has " + size + " bytes and no cluster");
            out.add(new Node(name, dir, size, cluster, attr, u16(e, 16), u16(e, 14), u16(e, 18), u16(e, 24), u16(e, 22)));
        }
        return List.copyOf(out);
    }

    private static String lfnPart(byte[] e) {
        StringBuilder b = new StringBuilder();
        int[][] ranges = {{1, 11}, {14, 26}, {28, 32}};
        for (int[] r : ranges) {
            for (int i = r[0]; i < r[1]; i += 2) {
                char c = (char) u16(e, i);
                if (c == 0 || c == 0xffff) return b.toString();
                b.append(c);
            }
        }
        return b.toString();
    }

    private static int checksum(byte[] e) {
        int sum = 0;
        for (int i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + (e[i] & 0xff)) & 0xff;
        return sum;
    }

    /** "NAME.EXT", lower case where the entry's NT flags ask for it (0x08 name, 0x10 extension). */
    private static String shortName(byte[] e) {
        byte[] n = java.util.Arrays.copyOf(e, 11);
        if ((n[0] & 0xff) == 0x05) n[0] = (byte) 0xe5;
        String base = new String(n, 0, 8, StandardCharsets.ISO_8859_1).stripTrailing();
        String ext = new String(n, 8, 3, StandardCharsets.ISO_8859_1).stripTrailing();
        if ((e[12] & 0x08) != 0) base = base.toLowerCase(Locale.ROOT);
        if ((e[12] & 0x10) != 0) ext = ext.toLowerCase(Locale.ROOT);
        return ext.isEmpty() ? base : base + "." + ext;
    }

    private final Map<Long, List<Long>> chains = new HashMap<>();

    /** The clusters of the chain starting at {@code first}; with {@code need} >= 0, exactly that many must be there. */
    private List<Long> chain(long first, long need) {
        if (need == 0) return List.of();
        List<Long> have = chains.get(first);
        if (have == null) {
            have = new ArrayList<>();
            long c = first;
            long eoc = type == Type.FAT12 ? 0xff8 : type == Type.FAT16 ? 0xfff8 : 0x0ffffff8;
            while (true) {
                if (c < 2 || c > clusters + 1) throw bad("cluster chain from " + first + " reaches cluster " + c + ", not one of 2.." + (clusters + 1));
                have.add(c);
                if (have.size() > clusters) throw bad("cluster chain from " + first + " loops");
                long next = fatEntry(c);
                if (next >= eoc) break;
                c = next;
            }
            have = List.copyOf(have);
            chains.put(first, have);
        }
        if (need > 0 && have.size() < need) {
            throw bad("cluster chain from " + first + " has " + have.size() + " clusters, the file needs " + need);
        }
        return have;
    }

    private long fatEntry(long cluster) {
        long off = switch (type) {
            case FAT12 -> cluster + cluster / 2;
            case FAT16 -> cluster * 2;
            case FAT32 -> cluster * 4;
        };
        int width = type == Type.FAT32 ? 4 : 2;
        long v = 0;
        for (int i = 0; i < width; i++) v |= (long) fatByte(off + i) << (8 * i);
        return switch (type) {
            case FAT12 -> (cluster & 1) != 0 ? v >> 4 : v & 0xfff;
            case FAT16 -> v & 0xffff;
            case FAT32 -> v & 0x0fffffff;
        };
    }

    private int fatByte(long off) {
        long sector = off / bytesPerSector;
        byte[] s = fatSectors.computeIfAbsent(sector, k -> {
            byte[] b = new byte[bytesPerSector];
            readVolume(fatStart + k * bytesPerSector, b, 0, b.length);
            return b;
        });
        return s[(int) (off % bytesPerSector)] & 0xff;
    }

    private void readVolume(long offset, byte[] b, int off, int len) {
        if (offset < 0 || offset + len > totalBytes || base + offset + len > disk.size()) {
            throw bad(String.format("bytes 0x%x..0x%x of the volume are past its end", offset, offset + len));
        }
        try {
            disk.read(base + offset, b, off, len);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A name from the image as one printable line: control characters as \\xNN. */
    static String shown(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }
}
