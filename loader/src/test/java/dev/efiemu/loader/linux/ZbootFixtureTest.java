package dev.efiemu.loader.linux;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real zboot kernels (built from Debian's linux-source-6.1 and -6.12) parse and decompress on
 * the host to the Image their build produced: every header layout the kernel has shipped.
 */
class ZbootFixtureTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"6.1, gzip, gzip", "6.1, zstd, zstd22", "6.12, gzip, gzip", "6.12, zstd, zstd"})
    void payloadIsTheBuildsImage(String series, String compression, String headerName) {
        byte[] file = read(fx().zboot(series, compression));
        byte[] image = read(fx().zbootImage(series, compression));
        ZbootImage z = ZbootImage.parse(file);
        assertEquals(headerName, z.compression(), "the compression name the kernel writes");
        byte[] out = z.decompress(file);
        Arm64ImageHeader h = Arm64ImageHeader.parse(image);
        if (series.equals("6.1")) {
            assertArrayEquals(image, out, "6.1 compresses the Image as it is");
        } else {
            // since 6.2 Makefile.zboot pads the Image with zeros to image_size before compressing
            assertEquals(h.imageSize(), out.length, "payload padded to image_size");
            assertArrayEquals(image, Arrays.copyOf(out, image.length));
            for (int i = image.length; i < out.length; i++) assertEquals(0, out[i], "padding byte at " + i);
        }
        assertTrue(Arm64ImageHeader.looksLikeArm64Image(out));
        assertTrue(h.efiStub(), "the payload is itself an EFI-stub PE");
        int peMagic = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(0x38);
        if (series.equals("6.1")) assertEquals(0, peMagic, "6.1's header has no LINUX_PE_MAGIC at 0x38");
        else assertEquals(0x818223cd, peMagic, "LINUX_PE_MAGIC at 0x38");
    }
}
