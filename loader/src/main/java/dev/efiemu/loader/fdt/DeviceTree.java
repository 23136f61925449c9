package dev.efiemu.loader.fdt;

import dev.efiemu.loader.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A flattened device tree blob (Devicetree Specification v0.4 §5), read for what firmware needs
 * from it: the RAM it describes ({@code device_type = "memory"} nodes' {@code reg}), the ranges it
 * keeps from the OS (the memory reservation block and {@code /reserved-memory}'s children) and the
 * {@code compatible} of the root. Big-endian throughout; every offset is checked against the blob.
 *
 * @param bytes     the blob, exactly {@code totalsize} bytes
 * @param version   the format version (16 or 17)
 * @param model     the root's {@code compatible} strings, or an empty list
 * @param memory    RAM ranges, ascending
 * @param reserved  reserved ranges (memreserve entries and /reserved-memory children with a reg)
 */
public record DeviceTree(byte[] bytes, int version, List<String> model, List<Range> memory, List<Range> reserved) {
    public static final int MAGIC = 0xd00dfeed;
    static final int BEGIN_NODE = 1, END_NODE = 2, PROP = 3, NOP = 4, END = 9;
    static final int HEADER = 40;

    /** A physical range [start, start + size). */
    public record Range(long start, long size) {
        public long end() {
            return start + size;
        }

        @Override
        public String toString() {
            return String.format("0x%x-0x%x", start, start + size - 1);
        }
    }

    public static boolean looksLikeDeviceTree(byte[] b) {
        return b.length >= 4 && ByteBuffer.wrap(b).getInt(0) == MAGIC;
    }

    /** Parses a blob; anything malformed is a {@link FormatException} saying what and where. */
    public static DeviceTree parse(byte[] b) {
        if (b.length < HEADER) throw new FormatException("not a device tree: " + b.length + " bytes, shorter than the 40-byte FDT header");
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        if (h.getInt(0) != MAGIC) {
            throw new FormatException(String.format("not a device tree: no FDT magic d00dfeed at offset 0 (found %08x)", h.getInt(0)));
        }
        long total = h.getInt(4) & 0xffffffffL;
        long offStruct = h.getInt(8) & 0xffffffffL, offStrings = h.getInt(12) & 0xffffffffL, offRsv = h.getInt(16) & 0xffffffffL;
        int version = h.getInt(20);
        long sizeStrings = h.getInt(32) & 0xffffffffL, sizeStruct = h.getInt(36) & 0xffffffffL;
        if (total > b.length) throw new FormatException(String.format("device tree truncated: totalsize %d, but the file has %d bytes", total, b.length));
        if (total < HEADER) throw new FormatException("device tree totalsize " + total + " is smaller than its header");
        if (version < 16) throw new FormatException("device tree version " + version + " is not supported (16 and later are)");
        if (version < 17) sizeStruct = total - offStruct; // v16 has no size_dt_struct
        check(offStruct, sizeStruct, total, "structure block");
        check(offStrings, sizeStrings, total, "strings block");
        check(offRsv, 16, total, "memory reservation block");
        byte[] blob = java.util.Arrays.copyOf(b, (int) total);
        ByteBuffer d = ByteBuffer.wrap(blob).order(ByteOrder.BIG_ENDIAN);

        List<Range> reserved = new ArrayList<>();
        for (long at = offRsv; ; at += 16) {
            check(at, 16, total, "memory reservation entry");
            long addr = d.getLong((int) at), size = d.getLong((int) at + 8);
            if (addr == 0 && size == 0) break;
            reserved.add(new Range(addr, size));
        }

        Walker w = new Walker(blob, d, (int) offStruct, (int) (offStruct + sizeStruct), (int) offStrings, (int) (offStrings + sizeStrings));
        w.walk();
        List<Range> memory = new ArrayList<>(w.memory);
        memory.sort((x, y) -> Long.compare(x.start(), y.start()));
        reserved.addAll(w.reserved);
        reserved.sort((x, y) -> Long.compare(x.start(), y.start()));
        return new DeviceTree(blob, version, List.copyOf(w.compatible), List.copyOf(memory), List.copyOf(reserved));
    }

    private static void check(long off, long size, long total, String what) {
        if (off > total || size > total - off) {
            throw new FormatException(String.format("device tree %s at 0x%x (+0x%x) lies outside its %d bytes", what, off, size, total));
        }
    }

    /** Walks the structure block, tracking each node's #address-cells/#size-cells for its children's reg. */
    private static final class Walker {
        final byte[] blob;
        final ByteBuffer d;
        final int end, strings, stringsEnd;
        int pos;
        final List<Range> memory = new ArrayList<>();
        final List<Range> reserved = new ArrayList<>();
        List<String> compatible = List.of();

        Walker(byte[] blob, ByteBuffer d, int start, int end, int strings, int stringsEnd) {
            this.blob = blob;
            this.d = d;
            this.pos = start;
            this.end = end;
            this.strings = strings;
            this.stringsEnd = stringsEnd;
        }

        int token() {
            if (pos + 4 > end) throw new FormatException(String.format("device tree structure block ends inside a token at 0x%x", pos));
            int t = d.getInt(pos);
            pos += 4;
            return t;
        }

        void walk() {
            int t;
            while ((t = token()) == NOP) { /* skip */ }
            if (t != BEGIN_NODE) throw new FormatException(String.format("device tree structure block starts with token %d, not a node", t));
            node("", 2, 1, 0);
            while ((t = token()) == NOP) { /* skip */ }
            if (t != END) throw new FormatException(String.format("device tree: token %d after the root node, expected FDT_END", t));
        }

        /**
         * One node (its BEGIN_NODE token read); {@code ac}/{@code sc} are the parent's cells for this
         * node's reg; {@code depth} 0 is the root.
         */
        void node(String parentPath, int ac, int sc, int depth) {
            if (depth > 64) throw new FormatException("device tree nests deeper than 64 nodes");
            String name = cstring(pos, end, "node name");
            pos = align4(pos + name.length() + 1);
            String path = depth == 0 ? "/" : (parentPath.equals("/") ? "/" : parentPath + "/") + name;
            int myAc = 2, mySc = 1;
            byte[] reg = null;
            String deviceType = null;
            while (true) {
                int t = token();
                switch (t) {
                    case NOP -> { }
                    case PROP -> {
                        if (pos + 8 > end) throw new FormatException("device tree property header runs past the structure block");
                        int len = d.getInt(pos), nameOff = d.getInt(pos + 4);
                        pos += 8;
                        if (len < 0 || pos + (long) len > end) throw new FormatException(String.format("device tree property of %d bytes at 0x%x runs past the structure block", len, pos));
                        if (nameOff < 0 || strings + (long) nameOff >= stringsEnd) throw new FormatException("device tree property name offset " + nameOff + " lies outside the strings block");
                        String prop = cstring(strings + nameOff, stringsEnd, "property name");
                        byte[] value = java.util.Arrays.copyOfRange(blob, pos, pos + len);
                        pos = align4(pos + len);
                        switch (prop) {
                            case "#address-cells" -> myAc = cells(value, prop, path);
                            case "#size-cells" -> mySc = cells(value, prop, path);
                            case "reg" -> reg = value;
                            case "device_type" -> deviceType = text(value);
                            case "compatible" -> { if (depth == 0) compatible = strings(value); }
                            default -> { }
                        }
                    }
                    case BEGIN_NODE -> node(path, myAc, mySc, depth + 1);
                    case END_NODE -> {
                        boolean isMemory = depth == 1 && ("memory".equals(deviceType) || (deviceType == null && name.equals("memory")));
                        boolean isReserved = depth == 2 && parentPath.equals("/reserved-memory");
                        if ((isMemory || isReserved) && reg != null) (isMemory ? memory : reserved).addAll(ranges(reg, ac, sc, path));
                        return;
                    }
                    default -> throw new FormatException(String.format("device tree: unknown token %d at 0x%x in %s", t, pos - 4, path));
                }
            }
        }

        String cstring(int at, int limit, String what) {
            int e = at;
            while (e < limit && blob[e] != 0) e++;
            if (e >= limit) throw new FormatException(String.format("device tree %s at 0x%x is not NUL-terminated", what, at));
            return new String(blob, at, e - at, StandardCharsets.US_ASCII);
        }

        static int align4(int v) {
            return (v + 3) & ~3;
        }

        static int cells(byte[] v, String prop, String path) {
            if (v.length != 4) throw new FormatException("device tree " + path + " " + prop + " is " + v.length + " bytes, not one cell");
            int n = ByteBuffer.wrap(v).getInt();
            if (n < 0 || n > 4) throw new FormatException("device tree " + path + " " + prop + " = " + n + " (at most 4 cells)");
            return n;
        }

        static String text(byte[] v) {
            int n = 0;
            while (n < v.length && v[n] != 0) n++;
            return new String(v, 0, n, StandardCharsets.US_ASCII);
        }

        static List<String> strings(byte[] v) {
            List<String> l = new ArrayList<>();
            int s = 0;
            for (int i = 0; i < v.length; i++) {
                if (v[i] == 0) {
                    if (i > s) l.add(new String(v, s, i - s, StandardCharsets.US_ASCII));
                    s = i + 1;
                }
            }
            return l;
        }

        static List<Range> ranges(byte[] reg, int ac, int sc, String path) {
            if (ac > 2 || sc > 2) {
                throw new FormatException("device tree " + path + ": memory reg with #address-cells " + ac + ", #size-cells " + sc + " (at most 2 each)");
            }
            int entry = 4 * (ac + sc);
            if (entry == 0 || reg.length % entry != 0) {
                throw new FormatException("device tree " + path + " reg is " + reg.length + " bytes, not a multiple of " + entry + " (#address-cells "
                        + ac + ", #size-cells " + sc + ")");
            }
            ByteBuffer b = ByteBuffer.wrap(reg);
            List<Range> l = new ArrayList<>();
            for (int i = 0; i < reg.length; i += entry) {
                long a = 0, s = 0;
                for (int c = 0; c < ac; c++) a = (a << 32) | (b.getInt(i + 4 * c) & 0xffffffffL);
                for (int c = 0; c < sc; c++) s = (s << 32) | (b.getInt(i + 4 * (ac + c)) & 0xffffffffL);
                if (s != 0) l.add(new Range(a, s));
            }
            return l;
        }
    }
}
