package dev.efiemu.session;

import dev.efiemu.core.display.Framebuffer.PixelFormat;
import dev.efiemu.protocols.GraphicsOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This host's real framebuffer, described for the payload's Graphics Output Protocol under
 * {@code --memmap host}, so the kernel stub fills the next kernel's screen_info from it and the
 * kexec'd kernel keeps a console (efifb) — what kexec-tools' {@code setup_linux_vesafb} does for a
 * kexec_load of a bzImage (kexec/arch/i386/x86-linux-setup.c).
 *
 * <p>The base, geometry and pixel layout come from the screen_info this kernel was booted with
 * ({@code /sys/kernel/boot_params/data}, struct screen_info at offset 0: lfb_base, ext_lfb_base,
 * lfb_width/height/depth/linelength, the colour positions), which is also where kexec-tools takes
 * the base when the fb driver hides {@code smem_start}. When {@code /sys/class/graphics/fb0}
 * exists, its geometry ({@code virtual_size}, {@code stride}, {@code bits_per_pixel}) must be the
 * same, or a driver has reprogrammed the display since boot and the boot framebuffer is gone.
 * Only 32-bit RGB/BGR linear framebuffers (an EFI GOP's or a VESA one) are described.
 */
public final class HostFramebuffer {
    private HostFramebuffer() {}

    /** What was found: a screen for the GOP, or null and why not. */
    public record Found(GraphicsOutput.Screen screen, String why) {}

    static final int VIDEO_TYPE_VLFB = 0x23, VIDEO_TYPE_EFI = 0x70, VIDEO_CAPABILITY_64BIT_BASE = 1 << 1;

    /** This host's framebuffer. */
    public static Found read() {
        return read(Path.of("/sys/kernel/boot_params/data"), Path.of("/sys/class/graphics/fb0"));
    }

    static Found read(Path bootParams, Path fb0) {
        byte[] bp;
        try {
            bp = Files.readAllBytes(bootParams);
        } catch (IOException e) {
            return new Found(null, bootParams + " is not readable (" + e.getMessage() + ")");
        }
        if (bp.length < 0x40) return new Found(null, bootParams + ": too short for struct screen_info");
        return describe(bp, fb0);
    }

    /** struct screen_info (arch/x86/include/uapi/asm/bootparam.h, include/uapi/linux/screen_info.h) at offset 0 of boot_params. */
    static Found describe(byte[] bootParams, Path fb0) {
        ByteBuffer b = ByteBuffer.wrap(bootParams).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.get(0x0f) & 0xff;
        int width = b.getShort(0x12) & 0xffff, height = b.getShort(0x14) & 0xffff, depth = b.getShort(0x16) & 0xffff;
        long base = b.getInt(0x18) & 0xffffffffL;
        int line = b.getShort(0x24) & 0xffff;
        int redPos = b.get(0x27) & 0xff, greenPos = b.get(0x29) & 0xff, bluePos = b.get(0x2b) & 0xff;
        int caps = b.getInt(0x36);
        if ((caps & VIDEO_CAPABILITY_64BIT_BASE) != 0) base |= (b.getInt(0x3a) & 0xffffffffL) << 32;
        if (type != VIDEO_TYPE_EFI && type != VIDEO_TYPE_VLFB) {
            return new Found(null, String.format("the host booted without a linear framebuffer (screen_info type 0x%02x)", type));
        }
        if (base == 0 || width == 0 || height == 0) return new Found(null, "the host's screen_info has no framebuffer base or size");
        if (depth != 32 || line % 4 != 0 || line / 4 < width) {
            return new Found(null, "the host's framebuffer is " + depth + " bits per pixel; only 32-bit framebuffers are described");
        }
        PixelFormat format;
        if (redPos == 16 && greenPos == 8 && bluePos == 0) format = PixelFormat.BGRX;
        else if (redPos == 0 && greenPos == 8 && bluePos == 16) format = PixelFormat.RGBX;
        else return new Found(null, "the host's framebuffer has colour positions r" + redPos + " g" + greenPos + " b" + bluePos);
        if (Files.isDirectory(fb0)) {
            String now = attr(fb0, "virtual_size") + " " + attr(fb0, "stride") + " " + attr(fb0, "bits_per_pixel");
            String boot = width + "," + height + " " + line + " " + depth;
            if (!now.equals(boot)) {
                return new Found(null, "the host's display was reprogrammed since boot (" + attr(fb0, "name") + ": " + now
                        + ", boot framebuffer " + boot + ")");
            }
        }
        return new Found(GraphicsOutput.Screen.device(base, new GraphicsOutput.Mode(width, height, line / 4), format), null);
    }

    private static String attr(Path dir, String name) {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
