package dev.efiemu.loader.pe;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.testing.PeBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Base relocations (PE/COFF spec §6.6) at their edges: several blocks, ABSOLUTE padding, the zero
 * block that ends a table, block sizes just valid and just not, targets at the last bytes of the
 * image, and relocation in both directions.
 */
class BaseRelocationsTest {
    /** The minimal image with a .reloc section at RVA 0x5000 holding {@code blocks} and a directory of {@code dirSize} bytes. */
    static byte[] image(int dirSize, int vsize, int[]... blocks) {
        PeBuilder pb = PeBuilder.minimal();
        pb.sections.remove(2);
        ByteBuffer t = ByteBuffer.allocate(0x200).order(ByteOrder.LITTLE_ENDIAN);
        for (int[] b : blocks) {
            int start = t.position();
            t.putInt(b[0]).putInt(b[1]);
            for (int i = 2; i < b.length; i++) t.putShort((short) b[i]);
            t.position(start + (b[1] == 0 ? 8 : b[1]));
        }
        pb.section(".reloc", 0x5000, vsize, t.array()).flags = 0x42000040L;
        pb.dirs[5] = new long[] {0x5000, dirSize};
        return pb.build();
    }

    static String fails(byte[] f) {
        return assertThrows(PeFormatException.class, () -> PeImage.parse(f)).getMessage();
    }

    @Test
    void blocksEntriesAndPadding() {
        // page 0x1000: DIR64 at 0x10, HIGHLOW at 0x20, ABSOLUTE padding; page 0x2000: DIR64 at 0x8; then a zero block
        byte[] f = image(12 + 12 + 8, 0x1000,
                new int[] {0x1000, 12, (10 << 12) | 0x10, (3 << 12) | 0x20},
                new int[] {0x2000, 12, (10 << 12) | 0x8, 0},
                new int[] {0, 0});
        PeImage pe = PeImage.parse(f);
        assertEquals(2, pe.relocations().blocks().size(), "the zero block ends the table");
        assertEquals(3, pe.relocations().count(), "ABSOLUTE entries change nothing");
        assertEquals(0x2000, pe.relocations().blocks().get(1).pageRva());
        assertEquals(2, pe.relocations().blocks().get(1).entries().length);
        ByteBuffer up = ByteBuffer.wrap(pe.mapImage(0x140000000L + 0x10000)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x140001000L + 0x10000, up.getLong(0x1010));
        assertEquals(0x40001010 + 0x10000, up.getInt(0x1020));
        assertEquals(0x10000, up.getLong(0x2008), "a zero in .data, relocated");
        ByteBuffer down = ByteBuffer.wrap(pe.mapImage(0x140000000L - 0x100000)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x140001000L - 0x100000, down.getLong(0x1010), "moving down");
        assertEquals(0x40001010 - 0x100000, down.getInt(0x1020));
        assertEquals("DIR64", BaseRelocations.typeName(10));
        assertEquals("HIGHLOW", BaseRelocations.typeName(3));
        assertEquals("ABSOLUTE", BaseRelocations.typeName(0));
        assertEquals("reserved", BaseRelocations.typeName(6));
    }

    @Test
    void blockSizes() {
        assertTrue(fails(image(8, 0x1000, new int[] {0x1000, 6})).contains("relocation block at RVA 0x5000 has bad size 6"));
        assertTrue(fails(image(10, 0x1000, new int[] {0x1000, 9, 0})).contains("has bad size 9"));
        assertEquals(0, PeImage.parse(image(8, 0x1000, new int[] {0x1000, 8})).relocations().count(), "an empty block of 8 bytes");
        assertEquals(1, PeImage.parse(image(10, 0x1000, new int[] {0x1000, 10, (10 << 12)})).relocations().count(), "a block exactly as large as the directory");
        assertTrue(fails(image(10, 0x1000, new int[] {0x1000, 12, (10 << 12), 0}))
                .contains("relocation block at RVA 0x5000 (size 0xc) extends beyond the relocation directory (0xa bytes)"));
        // a directory larger than the section's file bytes: the block runs into the zero-filled part
        byte[] f = image(0x300, 0x1000, new int[] {0x1000, 8});
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        int relocRaw = (int) PeImage.parse(f).sections().get(2).pointerToRawData();
        b.putInt(relocRaw + 0x1f8, 0x3000).putInt(relocRaw + 0x1fc, 0x10); // a block at the last 8 file bytes, 16 bytes long
        b.putInt(relocRaw + 4, 0x1f8); // first block spans up to it
        assertTrue(fails(f).contains("runs into the zero-filled part of the image"), fails(f));
        // fewer than 8 bytes left after the last block: ignored
        assertEquals(1, PeImage.parse(image(14, 0x1000, new int[] {0x1000, 10, (10 << 12)})).relocations().blocks().size());
    }

    @Test
    void targetsAtTheEndOfTheImage() {
        // SizeOfImage 0x6000: a DIR64 at 0x5ff8 and a HIGHLOW at 0x5ffc fit; one byte later they do not
        assertEquals(1, PeImage.parse(image(10, 0x1000, new int[] {0x5000, 10, (10 << 12) | 0xff8})).relocations().count());
        assertTrue(fails(image(10, 0x1000, new int[] {0x5000, 10, (10 << 12) | 0xff9}))
                .contains("base relocation (type 10) for RVA 0x5ff9 lies outside SizeOfImage 0x6000 (entry at RVA 0x5008)"));
        assertEquals(1, PeImage.parse(image(10, 0x1000, new int[] {0x5000, 10, (3 << 12) | 0xffc})).relocations().count());
        assertTrue(fails(image(10, 0x1000, new int[] {0x5000, 10, (3 << 12) | 0xffd})).contains("for RVA 0x5ffd lies outside"));
        assertEquals(0, PeImage.parse(image(10, 0x1000, new int[] {0x6000, 10, 0xfff})).relocations().count(),
                "ABSOLUTE entries are never bounds-checked");
        assertTrue(fails(image(12, 0x1000, new int[] {0x1000, 12, (10 << 12), (4 << 12) | 0x18}))
                .contains("unsupported base relocation type 4 (HIGHADJ) for RVA 0x1018 (entry at RVA 0x500a)"));
    }
}
