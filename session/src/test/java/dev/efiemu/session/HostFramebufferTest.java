package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.display.Framebuffer.PixelFormat;
import dev.efiemu.protocols.GraphicsOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's framebuffer for --memmap host, from boot_params' screen_info as Linux's EFI stub fills
 * it from OVMF's GOP (type VIDEO_TYPE_EFI, 32 bpp, red at bit 16), checked against fb0's geometry.
 */
class HostFramebufferTest {
    @TempDir
    Path tmp;

    /** struct screen_info as the x86 EFI stub writes it (drivers/firmware/efi/libstub/gop.c). */
    static byte[] screenInfo(int type, int w, int h, int depth, long base, int redPos, int bluePos) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x0f, (byte) type).putShort(0x12, (short) w).putShort(0x14, (short) h).putShort(0x16, (short) depth);
        b.putInt(0x18, (int) base).putShort(0x24, (short) (w * depth / 8));
        b.put(0x26, (byte) 8).put(0x27, (byte) redPos).put(0x28, (byte) 8).put(0x29, (byte) 8).put(0x2a, (byte) 8).put(0x2b, (byte) bluePos);
        if (base >>> 32 != 0) b.putInt(0x36, HostFramebuffer.VIDEO_CAPABILITY_64BIT_BASE).putInt(0x3a, (int) (base >>> 32));
        return b.array();
    }

    Path fb0(String size, int stride, int bpp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("fb0"));
        Files.writeString(d.resolve("virtual_size"), size + "\n");
        Files.writeString(d.resolve("stride"), stride + "\n");
        Files.writeString(d.resolve("bits_per_pixel"), bpp + "\n");
        Files.writeString(d.resolve("name"), "EFI VGA\n");
        return d;
    }

    @Test
    void efiFramebufferBecomesTheGopsOneMode() throws Exception {
        var f = HostFramebuffer.describe(screenInfo(0x70, 1280, 800, 32, 0x80000000L, 16, 0), fb0("1280,800", 5120, 32));
        assertNull(f.why());
        GraphicsOutput.Screen s = f.screen();
        assertEquals(0x80000000L, s.deviceBase());
        assertEquals(java.util.List.of(new GraphicsOutput.Mode(1280, 800, 1280)), s.modes());
        assertEquals(PixelFormat.BGRX, s.format());
    }

    @Test
    void sixtyFourBitBaseAndRgbOrderWithoutFb0() {
        var f = HostFramebuffer.describe(screenInfo(0x70, 1024, 768, 32, 0x4000000000L, 0, 16), tmp.resolve("none"));
        assertEquals(0x4000000000L, f.screen().deviceBase());
        assertEquals(PixelFormat.RGBX, f.screen().format());
    }

    @Test
    void refusalsSayWhy() throws Exception {
        assertTrue(HostFramebuffer.describe(screenInfo(0x01, 80, 25, 0, 0, 0, 0), tmp).why().contains("without a linear framebuffer"));
        assertTrue(HostFramebuffer.describe(screenInfo(0x70, 1024, 768, 16, 0x80000000L, 11, 0), tmp).why().contains("16 bits per pixel"));
        var moved = HostFramebuffer.describe(screenInfo(0x70, 800, 600, 32, 0x80000000L, 16, 0), fb0("1920,1080", 7680, 32));
        assertNull(moved.screen());
        assertTrue(moved.why().contains("reprogrammed since boot"), moved.why());
        assertTrue(HostFramebuffer.read(tmp.resolve("missing"), tmp).why().contains("not readable"));
    }
}
