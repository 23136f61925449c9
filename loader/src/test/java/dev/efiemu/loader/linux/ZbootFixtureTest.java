package dev.efiemu.loader.linux;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Acceptance 3: the zboot fixtures decompress to the exact arm64 Image bytes. */
class ZbootFixtureTest {
    @Test
    void gzip() {
        check(fx().zbootGzip(), "gzip");
    }

    @Test
    void zstd() {
        check(fx().zbootZstd(), "zstd");
    }

    static void check(Path zboot, String comp) {
        byte[] file = read(zboot);
        byte[] image = read(fx().arm64Image());
        ZbootImage z = ZbootImage.parse(file);
        assertEquals(comp, z.compression());
        byte[] out = z.decompress(file);
        if (out.length == image.length) {
            assertArrayEquals(image, out, zboot + " payload differs from the Image");
        } else {
            // The kernel's own zboot build pads the Image with zeros to image_size (Makefile.zboot).
            Arm64ImageHeader h = Arm64ImageHeader.parse(image);
            assertEquals(h.imageSize(), out.length, zboot + ": payload is neither the Image nor the Image padded to image_size");
            assertArrayEquals(image, Arrays.copyOf(out, image.length));
            for (int i = image.length; i < out.length; i++) assertEquals(0, out[i], "padding byte at " + i);
        }
        assertTrue(Arm64ImageHeader.looksLikeArm64Image(out));
    }
}
