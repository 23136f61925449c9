package dev.efiemu.loader.pe;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.testing.PeBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every limit the PE parser checks (PE/COFF spec §2-§4), on both sides: the last value that is
 * accepted and the first that is refused, with the refusal naming the field. The minimal image:
 * headers 0x400 bytes, .text RVA 0x1000 (0x40 bytes, raw 0x400+0x200), .data RVA 0x2000 (0x3000,
 * raw 0x600+0x200), .reloc RVA 0x5000 (raw 0x800+0x200), SizeOfImage 0x6000, file 0xa00 bytes.
 */
class PeImageLimitsTest {
    static PeFormatException fails(byte[] file) {
        return assertThrows(PeFormatException.class, () -> PeImage.parse(file));
    }

    static void failsWith(byte[] file, String text) {
        String m = fails(file).getMessage();
        assertTrue(m.contains(text), m);
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static final int COFF = 0x84, OPT = 0x98;

    @Test
    void dosHeaderAndPeOffset() {
        failsWith(new byte[0x3f], "too short for an MS-DOS header");
        byte[] f = PeBuilder.minimal().build();
        // e_lfanew so that the signature and COFF header (24 bytes) end exactly at the end of the file: read
        le(f).putInt(0x3c, f.length - 24);
        failsWith(f, "no PE\\0\\0 signature at offset 0x9e8");
        le(f).putInt(0x3c, f.length - 23);
        failsWith(f, "PE header offset 0x9e9 (e_lfanew at 0x3c) lies beyond the end of the file (0xa00 bytes)");
        byte[] g = PeBuilder.minimal().build();
        g[1] = 'X';
        failsWith(g, "no MZ signature at offset 0 (found 0x4d58)");
    }

    @Test
    void machineOfReadsOnlyTheHeaders() {
        byte[] f = PeBuilder.minimal().build();
        assertEquals(0x8664, PeImage.machineOf(f));
        assertEquals(0x8664, PeImage.machineOf(Arrays.copyOf(f, 0x80 + 6)), "the Machine field is the last byte needed");
        assertEquals(-1, PeImage.machineOf(Arrays.copyOf(f, 0x80 + 5)));
        assertEquals(-1, PeImage.machineOf(Arrays.copyOf(f, 0x3f)));
        byte[] low = f.clone();
        le(low).putInt(0x3c, 0x3f);
        assertEquals(-1, PeImage.machineOf(low), "e_lfanew inside the DOS header");
        byte[] at40 = Arrays.copyOf(f, 0x100);
        System.arraycopy(f, 0x80, at40, 0x40, 6);
        le(at40).putInt(0x3c, 0x40);
        assertEquals(0x8664, PeImage.machineOf(at40), "e_lfanew right after the DOS header");
        for (int i = 0; i < 4; i++) {
            byte[] g = f.clone();
            g[0x80 + i] ^= 1;
            assertEquals(-1, PeImage.machineOf(g), "signature byte " + i);
        }
        byte[] mz = f.clone();
        mz[0] = 'N';
        assertEquals(-1, PeImage.machineOf(mz));
        mz = f.clone();
        mz[1] = 'Y';
        assertEquals(-1, PeImage.machineOf(mz));
        byte[] arm = f.clone();
        le(arm).putShort(COFF, (short) 0xaa64);
        assertEquals(0xaa64, PeImage.machineOf(arm));
    }

    @Test
    void sectionCountAndOptionalHeaderSize() {
        PeBuilder pb = PeBuilder.minimal();
        pb.numberOfSectionsOverride = 97;
        failsWith(pb.build(), "NumberOfSections 97 at offset 0x86 exceeds the spec limit of 96");

        byte[] f = PeBuilder.minimal().build();
        le(f).putShort(COFF + 16, (short) 1);
        failsWith(f, "SizeOfOptionalHeader 1 at offset 0x94: no optional header");
        le(f).putShort(COFF + 16, (short) 2);
        failsWith(f, "SizeOfOptionalHeader 2 at offset 0x94 is smaller than the PE32+ fixed part (112)");
        le(f).putShort(COFF + 16, (short) 111);
        failsWith(f, "SizeOfOptionalHeader 111");
        le(f).putShort(COFF + 16, (short) 112);
        failsWith(f, "16 data directories do not fit in SizeOfOptionalHeader 112");
        le(f).putShort(COFF + 16, (short) (112 + 8 * 16 - 1));
        failsWith(f, "16 data directories do not fit in SizeOfOptionalHeader 239");

        PeBuilder none = PeBuilder.minimal();
        none.numberOfRvaAndSizes = 0;
        PeImage pe = PeImage.parse(none.build());
        assertEquals(0, pe.dataDirectories().size());
        assertFalse(pe.dataDirectory(5).present(), "a directory NumberOfRvaAndSizes does not reach is empty");
        assertEquals(-1, pe.securityDirectoryEntryOffset());
        assertEquals(OPT + 112, pe.sectionTableOffset());
        PeBuilder four = PeBuilder.minimal();
        four.numberOfRvaAndSizes = 4;
        assertEquals(-1, PeImage.parse(four.build()).securityDirectoryEntryOffset(), "four directories: no certificate table entry");
        PeBuilder five = PeBuilder.minimal();
        five.numberOfRvaAndSizes = 5;
        assertEquals(OPT + 112 + 8 * 4, PeImage.parse(five.build()).securityDirectoryEntryOffset());
        assertEquals(OPT + 64, pe.checkSumOffset());

        byte[] magic = PeBuilder.minimal().build();
        le(magic).putShort(OPT, (short) 0x10c);
        failsWith(magic, "bad optional header magic 0x10c at offset 0x98 (expected 0x20b)");
    }

    @Test
    void imageSizesAndEntryPoint() {
        PeBuilder ok = PeBuilder.minimal();
        ok.sizeOfImage = 1L << 30;
        assertEquals(1L << 30, PeImage.parse(ok.build()).sizeOfImage(), "exactly 1 GiB is accepted");
        PeBuilder big = PeBuilder.minimal();
        big.sizeOfImage = (1L << 30) + 0x1000;
        failsWith(big.build(), "SizeOfImage 0x40001000 at offset 0xd0 is larger than the 1 GiB limit");
        byte[] zero = PeBuilder.minimal().build();
        le(zero).putInt(OPT + 56, 0);
        failsWith(zero, "SizeOfImage 0x0 at offset 0xd0 is zero");

        PeBuilder entry = PeBuilder.minimal();
        entry.entry = 0x5fff;
        assertEquals(0x5fff, PeImage.parse(entry.build()).entryPointRva(), "the last byte of the image");
        entry.entry = 0x6000;
        failsWith(entry.build(), "AddressOfEntryPoint 0x6000 at offset 0xa8 lies outside SizeOfImage 0x6000");

        byte[] f = PeBuilder.minimal().build();
        le(f).putInt(OPT + 60, 0xa00);
        assertEquals(0xa00, PeImage.parse(f).sizeOfHeaders(), "SizeOfHeaders up to the end of the file");
        le(f).putInt(OPT + 60, 0xa01);
        failsWith(f, "SizeOfHeaders 0xa01 exceeds the file size 0xa00 (truncated file?)");
        byte[] g = PeBuilder.minimal().build();
        le(g).putInt(OPT + 56, 0x1000);
        le(g).putInt(OPT + 60, 0x1001);
        failsWith(g, "SizeOfHeaders 0x1001 exceeds SizeOfImage 0x1000");

        PeBuilder fa = PeBuilder.minimal();
        fa.fileAlignment = 0x300;
        failsWith(fa.build(), "FileAlignment 0x300 at offset 0xbc is not a power of two");
        byte[] sa0 = PeBuilder.minimal().build();
        le(sa0).putInt(OPT + 32, 0);
        failsWith(sa0, "SectionAlignment 0x0");
        byte[] fa0 = PeBuilder.minimal().build();
        le(fa0).putInt(OPT + 36, 0);
        failsWith(fa0, "FileAlignment 0x0");
    }

    @Test
    void dataDirectoriesAtTheEdges() {
        // a debug directory (6) that ends exactly at SizeOfImage is fine; one byte further is a warning
        PeBuilder pb = PeBuilder.minimal();
        pb.dirs[6] = new long[] {0x5ff0, 0x10};
        assertEquals(java.util.List.of(), PeImage.parse(pb.build()).warnings());
        pb.dirs[6] = new long[] {0x5ff0, 0x11};
        assertEquals(java.util.List.of("data directory 6 (RVA 0x5ff0 size 0x11) lies outside SizeOfImage"), PeImage.parse(pb.build()).warnings());
        // the relocation directory past SizeOfImage is an error
        PeBuilder rel = PeBuilder.minimal();
        rel.dirs[5] = new long[] {0x5ff8, 0x10};
        failsWith(rel.build(), "base relocation directory RVA 0x5ff8 size 0x10 lies outside SizeOfImage 0x6000");
        // the certificate table (4) is a file offset: it may lie past SizeOfImage, but not past the file
        PeBuilder cert = PeBuilder.minimal();
        cert.dirs[4] = new long[] {0x9f8, 0x8};
        PeImage pe = PeImage.parse(cert.build());
        assertEquals(java.util.List.of(), pe.warnings());
        assertEquals(0x9f8, pe.securityDirectory().address());
        assertEquals(8, pe.securityDirectory().size());
        cert.dirs[4] = new long[] {0x9f8, 0x9};
        assertEquals(java.util.List.of("certificate table (offset 0x9f8 size 0x9) extends beyond the end of the file (0xa00)"),
                PeImage.parse(cert.build()).warnings());
        cert.dirs[4] = new long[] {0x7000, 0x10};
        assertEquals(1, PeImage.parse(cert.build()).warnings().size(), "an offset past the image and the file");
    }

    @Test
    void sectionTableAndSectionsAtTheEdges() {
        // the section table must fit in the file
        byte[] f = PeBuilder.minimal().build();
        int table = OPT + 112 + 8 * 16;
        byte[] cut = Arrays.copyOf(f, table + 3 * 40);
        le(cut).putInt(OPT + 60, table + 3 * 40); // SizeOfHeaders within the cut file
        String m = fails(cut).getMessage();
        assertFalse(m.contains("section table"), "a table that ends at the end of the file fits: " + m);
        byte[] cut2 = Arrays.copyOf(cut, cut.length - 1);
        le(cut2).putInt(OPT + 60, cut2.length);
        failsWith(cut2, "section table at offset 0x188 (3 entries) extends beyond the end of the file (0x1ff bytes)");

        // a section that ends exactly at SizeOfImage is fine; one byte further is refused
        PeBuilder pb = PeBuilder.minimal();
        pb.sizeOfImage = 0x5000 + 0x1000;
        pb.sections.get(2).vsize = 0x1000;
        PeImage.parse(pb.build());
        pb.sections.get(2).vsize = 0x1001;
        failsWith(pb.build(), "section 2 (.reloc) at RVA 0x5000 size 0x1001 extends beyond SizeOfImage 0x6000");

        // touching sections are fine; overlapping by one byte is not
        PeBuilder touch = PeBuilder.minimal();
        touch.sections.get(0).vsize = 0x1000;
        PeImage.parse(touch.build());
        touch.sections.get(0).vsize = 0x1001;
        failsWith(touch.build(), "sections 0 (.text, RVA 0x1000-0x2001) and 1 (.data, RVA 0x2000) overlap");
        // a section with no size overlaps nothing
        PeBuilder empty = PeBuilder.minimal();
        empty.section(".empty", 0x1010, 0, new byte[0]).rawSize = 0;
        assertEquals(4, PeImage.parse(empty.build()).sections().size());

        // raw data that runs past the end of the file: loaded bytes are an error, file-alignment padding a warning
        byte[] g = PeBuilder.minimal().build();
        int data = table + 40; // .data's header
        le(g).putInt(data + 16, 0x400 + 0x200); // SizeOfRawData 0x600 from 0x600: past the end, VirtualSize 0x3000
        failsWith(g, "section 1 (.data) raw data at offset 0x600 size 0x600 extends beyond the end of the file (0xa00 bytes; truncated?)");
        byte[] h = PeBuilder.minimal().build();
        le(h).putInt(table + 8, 0x40);          // .text VirtualSize 0x40
        le(h).putInt(table + 16, 0x700);        // SizeOfRawData 0x700 from 0x400: ends at 0xb00
        PeImage pe = PeImage.parse(h);
        assertEquals(java.util.List.of("section .text: file-aligned raw size 0x700 extends beyond the end of the file"), pe.warnings());
        assertEquals(0x600, pe.rawData(pe.sections().get(0)).length, "raw data cut at the end of the file");
        assertEquals(0x40, pe.sectionFileData(pe.sections().get(0)).length);
        byte[] e = PeBuilder.minimal().build();
        le(e).putInt(table + 16, 0x600);        // .text raw 0x400+0x600 ends exactly at the end of the file
        assertEquals(java.util.List.of(), PeImage.parse(e).warnings());
        byte[] past = PeBuilder.minimal().build();
        le(past).putInt(table + 20, 0xb00);     // .text raw data starts past the end of the file
        le(past).putInt(table + 8, 0);
        le(past).putInt(table + 16, 0);
        assertEquals(0, PeImage.parse(past).rawData(PeImage.parse(past).sections().get(0)).length);
    }

    @Test
    void longSectionNamesFromTheStringTable() {
        byte[] f = Arrays.copyOf(PeBuilder.minimal().build(), 0xa00 + 0x40);
        int table = OPT + 112 + 8 * 16;
        // COFF symbol table at 0xa00 with no symbols: the string table follows at once (size, then strings)
        le(f).putInt(COFF + 8, 0xa00);
        le(f).putInt(COFF + 12, 0);
        le(f).putInt(0xa00, 4 + 16);
        byte[] name = ".debug_abbrev\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, f, 0xa04, name.length);
        putName(f, table, "/4");
        assertEquals(".debug_abbrev", PeImage.parse(f).sections().get(0).name());
        putName(f, table, "/5");
        assertEquals("debug_abbrev", PeImage.parse(f).sections().get(0).name(), "an offset inside a string");
        putName(f, table, "/3");
        assertEquals("/3", PeImage.parse(f).sections().get(0).name(), "offsets below 4 point into the size field");
        putName(f, table, "/20");
        assertEquals("/20", PeImage.parse(f).sections().get(0).name(), "an offset at the table's size is outside it");
        putName(f, table, "/19");
        assertEquals("", PeImage.parse(f).sections().get(0).name(), "the last byte of the table");
        putName(f, table, "/x");
        assertEquals("/x", PeImage.parse(f).sections().get(0).name(), "not a number");
        putName(f, table, "/");
        assertEquals("/", PeImage.parse(f).sections().get(0).name());
        putName(f, table, "/4");
        le(f).putInt(0xa00, 0x1000);
        putName(f, table, "/64");
        assertEquals("/64", PeImage.parse(f).sections().get(0).name(), "an offset past the end of the file");
        le(f).putInt(COFF + 8, 0);
        putName(f, table, "/4");
        assertEquals("/4", PeImage.parse(f).sections().get(0).name(), "no symbol table: the name as written");
        le(f).putInt(COFF + 8, 0xa3e);
        assertEquals("/4", PeImage.parse(f).sections().get(0).name(), "a string table whose size field runs past the file");
        le(f).putInt(COFF + 8, 0xa00 - 18);
        le(f).putInt(COFF + 12, 1);
        le(f).putInt(0xa00, 4 + 16);
        assertEquals(".debug_abbrev", PeImage.parse(f).sections().get(0).name(), "after one 18-byte symbol");
    }

    static void putName(byte[] f, int at, String n) {
        Arrays.fill(f, at, at + 8, (byte) 0);
        byte[] b = n.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, f, at, b.length);
    }

    @Test
    void rvaReadsAtTheEdges() {
        PeImage pe = PeImage.parse(PeBuilder.minimal().build());
        assertEquals(0x10, pe.readRva(0x5ff0, 0x10).length, "up to the end of the image");
        assertThrows(PeFormatException.class, () -> pe.readRva(0x5ff0, 0x11));
        assertThrows(PeFormatException.class, () -> pe.readRva(-1, 1));
        assertThrows(PeFormatException.class, () -> pe.readRva(0, -1));
        assertEquals(0, pe.readRva(0x6000, 0).length);
        // readRvaBacked stops after the last byte backed by the file
        assertEquals(0x40, pe.readRvaBacked(0x1000, 0x1000).length, ".text holds 0x40 bytes");
        assertEquals(0x20, pe.readRvaBacked(0x1020, 0x800).length);
        assertEquals(0x1000, pe.readRvaBacked(0x1020, 0x1000).length, "up to the end of the range, in .data's raw bytes");
        assertEquals(0x1fe, pe.readRvaBacked(0x2002, 0x2000).length, ".data's 0x200 raw bytes");
        assertEquals(0, pe.readRvaBacked(0x3000, 0x1000).length, "BSS only");
        assertEquals(0x400, pe.readRvaBacked(0, 0x800).length, "the headers");
        assertEquals(0x10, pe.readRvaBacked(0x3f0, 0x10).length);
        assertEquals(0, pe.readRvaBacked(0x5ff0, 0x100).length, "cut at SizeOfImage");
        assertArrayEquals(pe.readRva(0xf00, 0x200), Arrays.copyOf(pe.readRvaBacked(0xf00, 0x200), 0x200));
        assertEquals(0x3000, pe.sectionData(pe.sections().get(1)).length);
        assertEquals(1, pe.sectionData(pe.sections().get(1))[0]);
    }
}
