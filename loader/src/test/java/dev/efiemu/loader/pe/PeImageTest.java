package dev.efiemu.loader.pe;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.testing.PeBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeImageTest {
    private static PeFormatException fails(byte[] file) {
        return assertThrows(PeFormatException.class, () -> PeImage.parse(file));
    }

    @Test
    void parsesHeadersAndSections() {
        PeImage pe = PeImage.parse(PeBuilder.minimal().build());
        assertEquals(0x8664, pe.machine());
        assertEquals("x86_64", pe.machineName());
        assertEquals(0x140000000L, pe.imageBase());
        assertEquals(0x1000, pe.entryPointRva());
        assertEquals(0x6000, pe.sizeOfImage());
        assertEquals(0x1000, pe.sectionAlignment());
        assertEquals(10, pe.subsystem());
        assertTrue(pe.nxCompat());
        assertEquals(3, pe.sections().size());
        SectionHeader text = pe.sections().get(0);
        assertEquals(".text", text.name());
        assertEquals(0x1000, text.virtualAddress());
        assertEquals(0x40, text.virtualSize());
        assertEquals(0x400, text.pointerToRawData());
        assertEquals(0x200, text.sizeOfRawData());
        assertEquals("r-x", text.permissions());
        assertEquals(2, pe.relocations().count());
        assertFalse(pe.securityDirectory().present());
    }

    @Test
    void mapsAtImageBaseWithoutChange() {
        PeBuilder pb = PeBuilder.minimal();
        byte[] file = pb.build();
        PeImage pe = PeImage.parse(file);
        byte[] img = pe.mapImage(pe.imageBase());
        assertEquals(0x6000, img.length);
        assertArrayEquals(Arrays.copyOf(file, 0x400), Arrays.copyOf(img, 0x400));
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x140001000L, b.getLong(0x1010));
        assertEquals((byte) 0xc3, img[0x1000]);
        // .text raw data is 0x200 bytes but VirtualSize 0x40: bytes past it stay zero.
        assertEquals(0, img[0x1040]);
        assertEquals(4, img[0x2003]);
        for (int i = 0x2004; i < 0x5000; i++) assertEquals(0, img[i], "BSS byte " + i);
    }

    @Test
    void appliesDir64AndHighLowRelocations() {
        PeImage pe = PeImage.parse(PeBuilder.minimal().build());
        long base = 0x7f000000L;
        byte[] img = pe.mapImage(base);
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x140001000L - 0x140000000L + base, b.getLong(0x1010));
        assertEquals((int) (0x40001010 + (base - 0x140000000L)), b.getInt(0x20 + 0x1000));
    }

    @Test
    void aarch64Accepted() {
        PeBuilder pb = PeBuilder.minimal();
        pb.machine = 0xaa64;
        assertEquals("aarch64", PeImage.parse(pb.build()).machineName());
    }

    @Test
    void rejectsPe32() {
        PeBuilder pb = PeBuilder.minimal();
        pb.magic = 0x10b;
        assertTrue(fails(pb.build()).getMessage().contains("PE32 image"), "message");
    }

    @Test
    void rejectsOtherMachines() {
        PeBuilder pb = PeBuilder.minimal();
        pb.machine = 0x14c;
        assertTrue(fails(pb.build()).getMessage().contains("unsupported machine 0x014c (i386)"));
    }

    @Test
    void rejectsNonPe() {
        assertTrue(fails(new byte[10]).getMessage().contains("too short"));
        assertTrue(fails(new byte[100]).getMessage().contains("no MZ signature"));
        byte[] f = PeBuilder.minimal().build();
        f[0x80] = 'X';
        assertTrue(fails(f).getMessage().contains("no PE\\0\\0 signature at offset 0x80"));
        byte[] g = PeBuilder.minimal().build();
        ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN).putInt(0x3c, 0x7fffffff);
        assertTrue(fails(g).getMessage().contains("beyond the end of the file"));
    }

    @Test
    void everyTruncationFailsCleanly() {
        byte[] f = PeBuilder.minimal().build();
        for (int len = 0; len < f.length; len += 7) {
            byte[] t = Arrays.copyOf(f, len);
            try {
                PeImage.parse(t);
                // Only a cut inside the zero padding after the last loaded byte may parse.
                assertTrue(len >= 0xa00 || len > 0x600 && len < 0xa00, "parsed at " + len);
            } catch (PeFormatException e) {
                assertFalse(e.getMessage().contains("\n"));
            }
        }
        PeFormatException e = fails(Arrays.copyOf(f, 0x500));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void absurdSectionCount() {
        PeBuilder pb = PeBuilder.minimal();
        pb.numberOfSectionsOverride = 0xffff;
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("NumberOfSections 65535 at offset 0x86 exceeds the spec limit of 96"), e.getMessage());
        pb.numberOfSectionsOverride = 96;
        assertTrue(fails(pb.build()).getMessage().contains("section table"));
    }

    @Test
    void overlappingSections() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sections.get(1).va = 0x1020;
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void sectionBeyondSizeOfImage() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sizeOfImage = 0x6000;
        pb.sections.get(1).vsize = 0x5000;
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("section 1 (.data) at RVA 0x2000 size 0x5000 extends beyond SizeOfImage 0x6000"), e.getMessage());
    }

    @Test
    void relocationOutOfBounds() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sections.remove(2);
        pb.relocs(0x5000, 0x5ffc, (10 << 12) | 0);
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("base relocation (type 10) for RVA 0x5ffc lies outside SizeOfImage 0x6000"), e.getMessage());
    }

    @Test
    void relocationBlockOverrunsDirectory() {
        PeBuilder pb = PeBuilder.minimal();
        pb.dirs[5][1] = 10;
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("extends beyond the relocation directory"), e.getMessage());
    }

    @Test
    void unsupportedRelocationType() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sections.remove(2);
        pb.relocs(0x5000, 0x1000, (5 << 12) | 0x18);
        PeFormatException e = fails(pb.build());
        assertTrue(e.getMessage().contains("unsupported base relocation type 5") && e.getMessage().contains("RVA 0x1018"), e.getMessage());
    }

    @Test
    void relocsStrippedCannotMove() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sections.remove(2);
        pb.dirs[5] = new long[2];
        pb.characteristics |= 1;
        PeImage pe = PeImage.parse(pb.build());
        pe.mapImage(pe.imageBase());
        assertThrows(PeFormatException.class, () -> pe.mapImage(0x1000000));
    }

    @Test
    void badAlignmentAndSizes() {
        PeBuilder pb = PeBuilder.minimal();
        pb.sectionAlignment = 0x1001;
        assertTrue(fails(pb.build()).getMessage().contains("SectionAlignment"));
        pb = PeBuilder.minimal();
        pb.sizeOfImage = 0xfffff000L;
        assertTrue(fails(pb.build()).getMessage().contains("1 GiB"));
        pb = PeBuilder.minimal();
        pb.entry = 0x10000;
        assertTrue(fails(pb.build()).getMessage().contains("AddressOfEntryPoint"));
        pb = PeBuilder.minimal();
        pb.numberOfRvaAndSizes = 17;
        assertTrue(fails(pb.build()).getMessage().contains("NumberOfRvaAndSizes"));
    }

    @Test
    void pathErrorsNameTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("broken.efi");
        Files.write(f, new byte[] {'M', 'Z'});
        PeFormatException e = assertThrows(PeFormatException.class, () -> PeImage.parse(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        PeFormatException missing = assertThrows(PeFormatException.class, () -> PeImage.parse(dir.resolve("none.efi")));
        assertTrue(missing.getMessage().contains("none.efi: cannot read"), missing.getMessage());
    }

    @Test
    void readRvaZeroFillsGaps() {
        PeImage pe = PeImage.parse(PeBuilder.minimal().build());
        byte[] r = pe.readRva(0x0ff0, 0x20);
        assertEquals(0, r[0]);
        assertEquals((byte) 0xc3, r[0x10]);
        assertArrayEquals(pe.mapImage(pe.imageBase()), pe.readRva(0, (int) pe.sizeOfImage()));
    }
}
