package dev.efiemu.core.handles;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.loader.Guid;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An EFI device path (UEFI spec §10.2-§10.3): nodes of {u8 Type; u8 SubType; u16 Length; data},
 * ended by an End Entire node (7f/ff). The one model of it: read from guest memory or bytes,
 * built from the node kinds efiemu uses, compared by prefix (LocateDevicePath, LoadImage by
 * path) and printed as text after §10.6. Immutable; the end node is implied, never stored.
 */
public final class DevicePath {
    public static final int HARDWARE = 1, MEDIA = 4, END = 0x7f;
    public static final int END_ENTIRE = 0xff, END_INSTANCE = 0x01;
    static final int HW_VENDOR = 4, HW_CONTROLLER = 5, MEDIA_HARD_DRIVE = 1, MEDIA_CDROM = 2, MEDIA_VENDOR = 3, MEDIA_FILE_PATH = 4;
    /** Longest path {@link #read} accepts. */
    static final int MAX = 64 * 1024;
    private static final byte[] END_BYTES = {END, (byte) END_ENTIRE, 4, 0};

    /** The path with no node but the end: what a device's own path ends with, the root of nothing. */
    public static final DevicePath EMPTY = new DevicePath(List.of());

    /** One node; {@code data} is what follows the 4-byte header. Equal when type, subtype and data are. */
    public record Node(int type, int subType, byte[] data) {
        public Node {
            if (data.length > 0xffff - 4) throw new IllegalArgumentException("device path node of " + data.length + " bytes");
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        /** The node's Length field: header and data. */
        public int length() {
            return 4 + data.length;
        }

        public boolean is(int t, int s) {
            return type == t && subType == s;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Node n && n.type == type && n.subType == subType && Arrays.equals(n.data, data);
        }

        @Override
        public int hashCode() {
            return (type * 31 + subType) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return text(this);
        }
    }

    private final List<Node> nodes;

    private DevicePath(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    public static DevicePath of(Node... nodes) {
        return new DevicePath(List.of(nodes));
    }

    /** A path of one media file path node: {@code \EFI\BOOT\BOOTX64.EFI}. */
    public static DevicePath filePath(String path) {
        return of(file(path));
    }

    // ---- reading ----

    /**
     * Reads a device path from guest memory up to its End Entire node; null for a NULL pointer.
     * End Instance nodes stay in the path as nodes.
     *
     * @throws IllegalArgumentException for a node shorter than its header, or no end within 64 KiB
     */
    public static DevicePath read(GuestMemory mem, long address) {
        if (address == 0) return null;
        List<Node> nodes = new ArrayList<>();
        long at = address;
        for (int total = 0; total < MAX; ) {
            byte[] hdr = mem.read(at, 4);
            int len = (hdr[2] & 0xff) | (hdr[3] & 0xff) << 8;
            if (len < 4) throw new IllegalArgumentException(String.format("device path node at 0x%x has length %d", at, len));
            if ((hdr[0] & 0xff) == END && (hdr[1] & 0xff) == END_ENTIRE) return new DevicePath(nodes);
            nodes.add(new Node(hdr[0] & 0xff, hdr[1] & 0xff, mem.read(at + 4, len - 4)));
            at += len;
            total += len;
        }
        throw new IllegalArgumentException(String.format("device path at 0x%x has no end node within 64 KiB", address));
    }

    /**
     * Parses the byte form ({@link #bytes}) up to its End Entire node.
     *
     * @throws IllegalArgumentException for a node that is shorter than its header or runs past the bytes, or no end node
     */
    public static DevicePath parse(byte[] b) {
        List<Node> nodes = new ArrayList<>();
        int off = 0;
        while (off + 4 <= b.length) {
            int type = b[off] & 0xff, sub = b[off + 1] & 0xff, len = (b[off + 2] & 0xff) | (b[off + 3] & 0xff) << 8;
            if (len < 4 || len > b.length - off) {
                throw new IllegalArgumentException(String.format("device path node at offset %d has length %d", off, len));
            }
            if (type == END && sub == END_ENTIRE) return new DevicePath(nodes);
            nodes.add(new Node(type, sub, Arrays.copyOfRange(b, off + 4, off + len)));
            off += len;
        }
        throw new IllegalArgumentException("device path without an end node");
    }

    // ---- the path ----

    public List<Node> nodes() {
        return nodes;
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    /** The byte form: the nodes, then End Entire. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(byteLength() + 4);
        for (Node n : nodes) {
            out.write(n.type);
            out.write(n.subType);
            out.write(n.length() & 0xff);
            out.write(n.length() >>> 8);
            out.writeBytes(n.data);
        }
        out.writeBytes(END_BYTES);
        return out.toByteArray();
    }

    /** Size of the nodes without the end node: how far a prefix match advances a pointer into the path. */
    public int byteLength() {
        int n = 0;
        for (Node node : nodes) n += node.length();
        return n;
    }

    /** This path followed by {@code tail} (a device's path and a file's path relative to it). */
    public DevicePath append(DevicePath tail) {
        List<Node> all = new ArrayList<>(nodes);
        all.addAll(tail.nodes);
        return new DevicePath(all);
    }

    /** True when every node of {@code prefix} matches this path's nodes from the start (the empty path is everyone's prefix). */
    public boolean startsWith(DevicePath prefix) {
        return prefix.nodes.size() <= nodes.size() && nodes.subList(0, prefix.nodes.size()).equals(prefix.nodes);
    }

    /** The nodes after {@code prefix}, which must be a prefix. */
    public DevicePath after(DevicePath prefix) {
        if (!startsWith(prefix)) throw new IllegalArgumentException(prefix + " is not a prefix of " + this);
        return new DevicePath(nodes.subList(prefix.nodes.size(), nodes.size()));
    }

    /**
     * The file path its media file path nodes spell, joined with backslashes as firmware does
     * ("\EFI" + "BOOT\x.efi" = "\EFI\BOOT\x.efi"); null when the path holds any other node, or none.
     */
    public String filePathText() {
        if (nodes.isEmpty()) return null;
        StringBuilder name = new StringBuilder();
        for (Node n : nodes) {
            if (!n.is(MEDIA, MEDIA_FILE_PATH) || n.length() < 6) return null;
            String part = fileText(n);
            if (name.length() > 0 && !part.startsWith("\\")) name.append('\\');
            name.append(part);
        }
        return name.toString();
    }

    /** The last component of its media file path nodes ("x.efi"), or null if it has none. */
    public String fileName() {
        String last = null;
        for (Node n : nodes) {
            if (n.is(MEDIA, MEDIA_FILE_PATH) && n.length() > 6) {
                String s = fileText(n);
                int slash = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
                if (!s.isEmpty()) last = s.substring(slash + 1);
            }
        }
        return last == null || last.isEmpty() ? null : last;
    }

    private static String fileText(Node n) {
        return new String(n.data, StandardCharsets.UTF_16LE).replace("\0", "");
    }

    // ---- building nodes ----

    /** Vendor-defined hardware node VenHw(guid) (§10.3.2.4: type 1, subtype 4). */
    public static Node vendorHardware(Guid vendor) {
        return new Node(HARDWARE, HW_VENDOR, vendor.toBytes());
    }

    /** Vendor-defined media node VenMedia(guid) (§10.3.5.6: type 4, subtype 3). */
    public static Node vendorMedia(Guid vendor) {
        return new Node(MEDIA, MEDIA_VENDOR, vendor.toBytes());
    }

    /**
     * Hard drive media node HD(partition, GPT, signature, start, size) (§10.3.5.1: type 4, subtype 1)
     * for a GPT partition: start and size in logical blocks, the partition's unique GUID as signature.
     */
    public static Node hardDriveGpt(int partition, long startLba, long sizeLba, Guid signature) {
        ByteBuffer b = ByteBuffer.allocate(38).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(partition).putLong(startLba).putLong(sizeLba).put(signature.toBytes()).put((byte) 2).put((byte) 2);
        return new Node(MEDIA, MEDIA_HARD_DRIVE, b.array());
    }

    /**
     * Hard drive media node HD(partition, MBR, signature, start, size) (§10.3.5.1) for an MBR
     * partition: the disk signature at 0x1b8 of the MBR as a 32-bit signature.
     */
    public static Node hardDriveMbr(int partition, long startLba, long sizeLba, long diskSignature) {
        ByteBuffer b = ByteBuffer.allocate(38).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(partition).putLong(startLba).putLong(sizeLba).putInt((int) diskSignature).put(new byte[12]).put((byte) 1).put((byte) 1);
        return new Node(MEDIA, MEDIA_HARD_DRIVE, b.array());
    }

    /** CD-ROM media node CDROM(entry, start, size) (§10.3.5.2: type 4, subtype 2): an El Torito boot entry, in the medium's blocks. */
    public static Node cdrom(int bootEntry, long startRba, long sizeBlocks) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(bootEntry).putLong(startRba).putLong(sizeBlocks);
        return new Node(MEDIA, MEDIA_CDROM, b.array());
    }

    /** Controller node Ctrl(n) (§10.3.2.5: type 1, subtype 5). */
    public static Node controller(int number) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(number);
        return new Node(HARDWARE, HW_CONTROLLER, b.array());
    }

    /** Media file path node (§10.3.5.4: type 4, subtype 4): the path in CHAR16 with its NUL. */
    public static Node file(String path) {
        return new Node(MEDIA, MEDIA_FILE_PATH, GuestMemory.utf16z(path));
    }

    // ---- text (§10.6) ----

    /** "VenHw(EfiemuDisk)/HD(1,GPT,…,0x800,0x100000)/\EFI\x.efi"; GUIDs by their registered names; "End" for the empty path. */
    @Override
    public String toString() {
        if (nodes.isEmpty()) return "End";
        StringBuilder b = new StringBuilder();
        for (Node n : nodes) {
            if (n.is(END, END_INSTANCE)) {
                b.append(',');
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ',') b.append('/');
            b.append(text(n));
        }
        return b.toString();
    }

    private static String text(Node n) {
        byte[] d = n.data;
        if (n.is(HARDWARE, HW_VENDOR) && d.length >= 16) return "VenHw(" + Guids.name(Guid.fromBytes(d, 0)) + ")";
        if (n.is(MEDIA, MEDIA_VENDOR) && d.length >= 16) return "VenMedia(" + Guids.name(Guid.fromBytes(d, 0)) + ")";
        if (n.is(MEDIA, MEDIA_FILE_PATH)) {
            String s = new String(d, StandardCharsets.UTF_16LE);
            int nul = s.indexOf('\0');
            return printable(nul >= 0 ? s.substring(0, nul) : s);
        }
        if (n.is(HARDWARE, HW_CONTROLLER) && d.length == 4) {
            return "Ctrl(" + ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).getInt() + ")";
        }
        if (n.is(MEDIA, MEDIA_CDROM) && d.length >= 20) {
            ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            return String.format("CDROM(0x%x,0x%x,0x%x)", b.getInt(), b.getLong(), b.getLong());
        }
        if (n.is(MEDIA, MEDIA_HARD_DRIVE) && d.length >= 38) {
            ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            int part = b.getInt();
            long start = b.getLong(), size = b.getLong();
            int mbrType = d[36] & 0xff, sigType = d[37] & 0xff;
            String sig = sigType == 2 ? Guid.fromBytes(d, 20).toString()
                    : sigType == 1 ? String.format("0x%08x", ByteBuffer.wrap(d, 20, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) : "0";
            return String.format("HD(%d,%s,%s,0x%x,0x%x)", part, mbrType == 2 ? "GPT" : mbrType == 1 ? "MBR" : Integer.toString(mbrType),
                    sig, start, size);
        }
        StringBuilder hex = new StringBuilder();
        for (byte x : d) hex.append(String.format("%02x", x & 0xff));
        return String.format("Path(%d,%d%s)", n.type, n.subType, d.length == 0 ? "" : "," + hex);
    }

    /** One line, quotes and control characters escaped. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '"') b.append("\\\"");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DevicePath p && p.nodes.equals(nodes);
    }

    @Override
    public int hashCode() {
        return nodes.hashCode();
    }
}
