package dev.efiemu.loader.linux;

import static org.junit.jupiter.api.Assertions.*;

import com.github.luben.zstd.Zstd;
import dev.efiemu.loader.FormatException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

public class ZbootImageTest {
    public static byte[] payload() {
        byte[] p = new byte[300_000];
        Random r = new Random(7);
        for (int i = 0; i < p.length; i += 1 + r.nextInt(8)) p[i] = (byte) r.nextInt(4);
        return p;
    }

    static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) {
            g.write(b);
        }
        return o.toByteArray();
    }

    /** A zboot container laid out like zboot-header.S: header, payload, le32 size (gzip: its own ISIZE, inside the payload size). */
    public static byte[] zboot(String comp, byte[] original) throws Exception {
        byte[] stream;
        long size;
        if (comp.equals("gzip")) {
            stream = gzip(original);
            size = stream.length;
        } else {
            byte[] z = Zstd.compress(original, 19);
            stream = ByteBuffer.allocate(z.length + 4).order(ByteOrder.LITTLE_ENDIAN).put(z).putInt(original.length).array();
            size = z.length;
        }
        ByteBuffer b = ByteBuffer.allocate(0x40 + stream.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'M', 'Z', 0, 0, 'z', 'i', 'm', 'g'});
        b.putInt(8, 0x40).putInt(12, (int) size);
        b.position(0x18);
        b.put(comp.getBytes());
        b.position(0x40);
        b.put(stream);
        return b.array();
    }

    @Test
    void gzipRoundTrip() throws Exception {
        byte[] f = zboot("gzip", payload());
        ZbootImage z = ZbootImage.parse(f);
        assertEquals("gzip", z.compression());
        assertEquals(300_000, z.declaredSize());
        assertArrayEquals(payload(), z.decompress(f));
    }

    @Test
    void zstdRoundTrip() throws Exception {
        byte[] f = zboot("zstd", payload());
        ZbootImage z = ZbootImage.parse(f);
        assertEquals("zstd", z.compression());
        assertArrayEquals(payload(), z.decompress(f));
    }

    @Test
    void hugeDeclaredSizeIsRefused() throws Exception {
        byte[] f = zboot("zstd", payload());
        ZbootImage z = ZbootImage.parse(f);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt((int) (z.payloadOffset() + z.payloadSize()), 0xfffffff0);
        byte[] g = zboot("gzip", payload());
        ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN).putInt(g.length - 4, 0xfffffff0);
        assertTrue(assertThrows(FormatException.class, () -> ZbootImage.parse(g).decompress(g)).getMessage().contains("exceeds"));
        FormatException e = assertThrows(FormatException.class, () -> ZbootImage.parse(f).decompress(f));
        assertTrue(e.getMessage().contains("declared decompressed size 4294967280") && e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void wrongDeclaredSize() throws Exception {
        byte[] f = zboot("zstd", payload());
        ZbootImage z = ZbootImage.parse(f);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt((int) (z.payloadOffset() + z.payloadSize()), 1000);
        assertTrue(assertThrows(FormatException.class, () -> ZbootImage.parse(f).decompress(f)).getMessage().contains("more than the declared 1000"));
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt((int) (z.payloadOffset() + z.payloadSize()), 400_000);
        assertTrue(assertThrows(FormatException.class, () -> ZbootImage.parse(f).decompress(f)).getMessage().contains("decompresses to 300000 bytes"));
    }

    @Test
    void corruptAndTruncated() throws Exception {
        for (String comp : new String[] {"gzip", "zstd"}) {
            byte[] f = zboot(comp, payload());
            f[0x60] ^= 0x55;
            if (comp.equals("gzip")) {
                // gzip carries a CRC-32; a zstd frame without checksum may decode corrupt data silently.
                FormatException e = assertThrows(FormatException.class, () -> ZbootImage.parse(f).decompress(f));
                assertFalse(e.getMessage().contains("\n"));
            } else {
                try {
                    assertFalse(java.util.Arrays.equals(payload(), ZbootImage.parse(f).decompress(f)));
                } catch (FormatException expected) {
                    assertFalse(expected.getMessage().contains("\n"));
                }
            }
            byte[] t = java.util.Arrays.copyOf(f, f.length - 10);
            assertTrue(assertThrows(FormatException.class, () -> ZbootImage.parse(t)).getMessage().contains("beyond the end of the file"));
        }
    }

    @Test
    void unknownCompression() throws Exception {
        byte[] f = zboot("zstd", payload());
        f[0x18] = 'x';
        f[0x19] = 'z';
        f[0x1a] = 0;
        assertTrue(assertThrows(FormatException.class, () -> ZbootImage.parse(f).decompress(f)).getMessage().contains("\"xz\" is not supported"));
    }
}
