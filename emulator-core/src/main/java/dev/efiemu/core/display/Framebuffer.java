package dev.efiemu.core.display;

import dev.efiemu.core.memory.GuestMemory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A linear framebuffer in guest-physical memory, as EFI_GRAPHICS_OUTPUT_PROTOCOL describes its
 * current mode (UEFI spec §12.9, EFI_GRAPHICS_OUTPUT_MODE_INFORMATION): 32-bit pixels,
 * {@code pixelsPerScanLine} apart per row. What a screenshot reads.
 *
 * @param base              FrameBufferBase
 * @param width             HorizontalResolution
 * @param height            VerticalResolution
 * @param pixelsPerScanLine PixelsPerScanLine (at least {@code width})
 * @param format            the byte order of a pixel
 */
public record Framebuffer(long base, int width, int height, int pixelsPerScanLine, PixelFormat format) {
    /** EFI_GRAPHICS_PIXEL_FORMAT values with 32-bit pixels (§12.9.1). */
    public enum PixelFormat {
        /** PixelRedGreenBlueReserved8BitPerColor (0): byte 0 red, 1 green, 2 blue. */
        RGBX(0),
        /** PixelBlueGreenRedReserved8BitPerColor (1): byte 0 blue, 1 green, 2 red; the Blt pixel's order. */
        BGRX(1);

        public final int code;

        PixelFormat(int code) {
            this.code = code;
        }
    }

    public Framebuffer {
        if (width <= 0 || height <= 0 || pixelsPerScanLine < width) throw new IllegalArgumentException("bad framebuffer geometry " + width + "x" + height);
    }

    /** FrameBufferSize for this mode: every scan line, 4 bytes a pixel. */
    public long bytes() {
        return 4L * pixelsPerScanLine * height;
    }

    /** The screen as an RGB image, read from guest memory. */
    public BufferedImage image(GuestMemory memory) {
        return image(memory.read(base, Math.toIntExact(bytes())));
    }

    /** The screen as an RGB image from the framebuffer's bytes (e.g. a hand-off guest's memory, saved by QEMU's pmemsave). */
    public BufferedImage image(byte[] pixels) {
        if (pixels.length < bytes()) throw new IllegalArgumentException("framebuffer bytes: " + pixels.length + " < " + bytes());
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            int o = 4 * pixelsPerScanLine * y;
            for (int x = 0; x < width; x++) {
                int c0 = pixels[o + 4 * x] & 0xff, c1 = pixels[o + 4 * x + 1] & 0xff, c2 = pixels[o + 4 * x + 2] & 0xff;
                row[x] = format == PixelFormat.BGRX ? c2 << 16 | c1 << 8 | c0 : c0 << 16 | c1 << 8 | c2;
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }

    /** "800x600 BGRX framebuffer at 0x3fa71000": what the run summary says. */
    public String describe() {
        return String.format("%dx%d %s framebuffer at 0x%x (%d pixels a scan line)", width, height, format, base, pixelsPerScanLine);
    }

    /** Writes the screen as a PNG file (javax.imageio), through a temporary file beside it: never half-written. */
    public void writePng(GuestMemory memory, Path file) throws IOException {
        BufferedImage img = image(memory);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".part");
        try {
            if (!javax.imageio.ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
