package dev.efiemu.loader.linux;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class BzImageHeaderTest {
    /** A synthetic bzImage head with the boot.rst offsets filled in. */
    static byte[] head() {
        ByteBuffer b = ByteBuffer.allocate(0x2000).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) 3);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x202, (byte) 'H').put(0x203, (byte) 'd').put(0x204, (byte) 'r').put(0x205, (byte) 'S');
        b.putShort(0x206, (short) 0x020f);
        b.putShort(0x20e, (short) 0x100);
        b.put(0x300, "6.1.0-test".getBytes());
        b.put(0x211, (byte) 1);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) 0x7f);
        b.putInt(0x238, 2047);
        b.putInt(0x248, 0x100).putInt(0x24c, 0x10);
        b.putLong(0x258, 0x1000000);
        b.putInt(0x260, 0x3378000);
        b.putInt(0x264, 0x190);
        b.put(0x900, (byte) 0x1f).put(0x901, (byte) 0x8b);
        return b.array();
    }

    @Test
    void parsesSetupHeader() {
        BzImageHeader h = BzImageHeader.parse(head());
        assertEquals("2.15", h.protocol());
        assertEquals("6.1.0-test", h.kernelVersion());
        assertEquals(0x7f, h.xloadFlags());
        assertEquals(0x190, h.handoverOffset());
        assertEquals(0x1000000, h.prefAddress());
        assertEquals(0x3378000, h.initSize());
        assertEquals(0x200000, h.kernelAlignment());
        assertTrue(h.relocatableKernel());
        assertEquals(2047, h.cmdlineSize());
        assertEquals(0x800, h.setupSize());
        assertEquals("gzip", h.payloadCompression());
    }

    @Test
    void rejectsNonBzImage() {
        byte[] b = head();
        b[0x202] = 'X';
        assertFalse(BzImageHeader.looksLikeBzImage(b));
        assertThrows(FormatException.class, () -> BzImageHeader.parse(b));
        assertThrows(FormatException.class, () -> BzImageHeader.parse(new byte[0x100]));
    }

    @Test
    void arm64Header() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 'M').put(1, (byte) 'Z');
        b.putLong(16, 0x2000000).putLong(24, 0xa).putInt(56, 0x644d5241).putInt(60, 0x40);
        Arm64ImageHeader h = Arm64ImageHeader.parse(b.array());
        assertEquals(0x2000000, h.imageSize());
        assertEquals("4K", h.pageSize());
        assertTrue(h.efiStub());
        assertEquals(0x40, h.peOffset());
    }
}
