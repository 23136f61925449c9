package dev.efiemu.loader.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds small PE32+ images in memory for parser tests. Fields are public so tests can break them. */
public final class PeBuilder {
    public static final class Section {
        public String name;
        public long va, vsize, rawPtr = -1, rawSize = -1, flags = 0x60000020L;
        public byte[] data;

        Section(String name, long va, long vsize, byte[] data) {
            this.name = name;
            this.va = va;
            this.vsize = vsize;
            this.data = data;
        }
    }

    public int machine = 0x8664;
    public int magic = 0x20b;
    public int peOffset = 0x80;
    public long imageBase = 0x140000000L;
    public long entry = 0x1000;
    public long sectionAlignment = 0x1000, fileAlignment = 0x200;
    public long sizeOfImage = -1, sizeOfHeaders = 0x400;
    public int subsystem = 10, dllCharacteristics = 0x0140, characteristics = 0x0022;
    public int numberOfRvaAndSizes = 16;
    public int numberOfSectionsOverride = -1;
    public long[][] dirs = new long[16][2];
    public final List<Section> sections = new ArrayList<>();

    public Section section(String name, long va, long vsize, byte[] data) {
        Section s = new Section(name, va, vsize, data);
        sections.add(s);
        return s;
    }

    /** Adds a .reloc section holding one block per page and points the BASERELOC directory at it. */
    public Section relocs(long va, long pageRva, int... entries) {
        int size = 8 + 2 * entries.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) pageRva).putInt(size);
        for (int e : entries) b.putShort((short) e);
        dirs[5][0] = va;
        dirs[5][1] = size;
        Section s = section(".reloc", va, size, b.array());
        s.flags = 0x42000040L;
        return s;
    }

    public byte[] build() {
        long fileOff = sizeOfHeaders;
        long maxVa = sizeOfHeaders;
        for (Section s : sections) {
            if (s.rawSize < 0) s.rawSize = align(s.data.length, fileAlignment);
            if (s.rawPtr < 0) {
                s.rawPtr = s.rawSize == 0 ? 0 : fileOff;
                fileOff += s.rawSize;
            }
            maxVa = Math.max(maxVa, s.va + Math.max(s.vsize, 1));
        }
        long img = sizeOfImage >= 0 ? sizeOfImage : align(maxVa, sectionAlignment);
        long end = sizeOfHeaders;
        for (Section s : sections) end = Math.max(end, s.rawPtr + s.rawSize);
        ByteBuffer b = ByteBuffer.allocate((int) end).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 'M').put(1, (byte) 'Z').putInt(0x3c, peOffset);
        int p = peOffset;
        b.put(p, (byte) 'P').put(p + 1, (byte) 'E');
        int coff = p + 4;
        b.putShort(coff, (short) machine);
        b.putShort(coff + 2, (short) (numberOfSectionsOverride >= 0 ? numberOfSectionsOverride : sections.size()));
        int optSize = 112 + 8 * numberOfRvaAndSizes;
        b.putShort(coff + 16, (short) optSize);
        b.putShort(coff + 18, (short) characteristics);
        int opt = coff + 20;
        b.putShort(opt, (short) magic);
        b.putInt(opt + 16, (int) entry);
        b.putLong(opt + 24, imageBase);
        b.putInt(opt + 32, (int) sectionAlignment);
        b.putInt(opt + 36, (int) fileAlignment);
        b.putInt(opt + 56, (int) img);
        b.putInt(opt + 60, (int) sizeOfHeaders);
        b.putShort(opt + 68, (short) subsystem);
        b.putShort(opt + 70, (short) dllCharacteristics);
        b.putInt(opt + 108, numberOfRvaAndSizes);
        for (int i = 0; i < Math.min(16, numberOfRvaAndSizes); i++) {
            b.putInt(opt + 112 + 8 * i, (int) dirs[i][0]);
            b.putInt(opt + 116 + 8 * i, (int) dirs[i][1]);
        }
        int table = opt + optSize;
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            int at = table + 40 * i;
            byte[] n = s.name.getBytes(StandardCharsets.US_ASCII);
            for (int j = 0; j < Math.min(8, n.length); j++) b.put(at + j, n[j]);
            b.putInt(at + 8, (int) s.vsize);
            b.putInt(at + 12, (int) s.va);
            b.putInt(at + 16, (int) s.rawSize);
            b.putInt(at + 20, (int) s.rawPtr);
            b.putInt(at + 36, (int) s.flags);
            if (s.rawSize > 0) b.put((int) s.rawPtr, s.data, 0, (int) Math.min(s.data.length, s.rawSize));
        }
        return b.array();
    }

    static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }

    /** A minimal valid image: .text at 0x1000 holding two 64-bit pointers, relocated via DIR64. */
    public static PeBuilder minimal() {
        PeBuilder pb = new PeBuilder();
        ByteBuffer text = ByteBuffer.allocate(0x40).order(ByteOrder.LITTLE_ENDIAN);
        text.put(0, (byte) 0xc3);
        text.putLong(0x10, 0x140001000L);
        text.putInt(0x20, 0x40001010);
        pb.section(".text", 0x1000, 0x40, text.array());
        Section data = pb.section(".data", 0x2000, 0x3000, new byte[] {1, 2, 3, 4});
        data.flags = 0xc0000040L;
        pb.relocs(0x5000, 0x1000, (10 << 12) | 0x10, (3 << 12) | 0x20, 0);
        return pb;
    }
}
