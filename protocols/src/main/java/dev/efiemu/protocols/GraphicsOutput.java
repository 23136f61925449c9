package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.display.Framebuffer;
import dev.efiemu.core.display.Framebuffer.PixelFormat;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.util.List;

/**
 * EFI_GRAPHICS_OUTPUT_PROTOCOL (UEFI spec §12.9): a linear framebuffer in guest memory with a list
 * of modes, 32-bit pixels, QueryMode, SetMode (which clears the screen to black) and the four Blt
 * operations of §12.9.2.3 (EfiBltVideoFill, EfiBltVideoToBltBuffer, EfiBltBufferToVideo,
 * EfiBltVideoToVideo) with edk2's FrameBufferBltLib argument checks. It is installed on the ConOut
 * handle, as edk2's ConSplitter puts the console's GOP on the console handle, so payloads that ask
 * {@code ST->ConsoleOutHandle} for it (rEFInd, GRUB) and those that search for it (the Linux stub,
 * memtest86+, systemd-boot) find the same one.
 *
 * <p>The framebuffer is either reserved RAM ({@link Screen#qemu()}: the modes OVMF's QemuVideoDxe
 * offers on QEMU's std VGA that fit, at the address {@link ProtocolHost#reserveFramebuffer} gives)
 * or a device address outside the map ({@link Screen#device}: a host's real framebuffer for kexec,
 * whose one mode is the host's). Whatever the payload draws is what a screenshot shows.
 */
public final class GraphicsOutput {
    public static final Guid GUID = Guids.define("9042a9de-23dc-4a38-96fb-7aded080516a", "GraphicsOutput");

    /** One mode: the visible size and the scan line length in pixels. */
    public record Mode(int width, int height, int pixelsPerScanLine) {
        public Mode(int width, int height) {
            this(width, height, width);
        }
    }

    /**
     * What the screen is: its modes and pixel format, and where the framebuffer lives.
     *
     * @param deviceBase a device address outside the memory map (a host's framebuffer), or 0 for
     *                   reserved RAM sized for the largest mode
     */
    public record Screen(List<Mode> modes, PixelFormat format, long deviceBase) {
        public Screen {
            modes = List.copyOf(modes);
            if (modes.isEmpty()) throw new IllegalArgumentException("no modes");
        }

        /** 800x600 (mode 0, the one set at start, as OVMF's default), 1024x768 and 1280x800, BGRX, in reserved RAM. */
        public static Screen qemu() {
            return new Screen(List.of(new Mode(800, 600), new Mode(1024, 768), new Mode(1280, 800)), PixelFormat.BGRX, 0);
        }

        /** One fixed mode at a device's address (a host's framebuffer). */
        public static Screen device(long base, Mode mode, PixelFormat format) {
            return new Screen(List.of(mode), format, base);
        }

        long bytes() {
            long max = 0;
            for (Mode m : modes) max = Math.max(max, 4L * m.pixelsPerScanLine() * m.height());
            return max;
        }
    }

    static final int INFO_SIZE = 36, MODE_SIZE = 40;
    static final int VIDEO_FILL = 0, VIDEO_TO_BLT = 1, BLT_TO_VIDEO = 2, VIDEO_TO_VIDEO = 3;

    private final ProtocolHost host;
    private final GuestMemory memory;
    private final Screen screen;
    private final long base;
    private final long iface;
    private final long mode;
    private final long[] infos;
    private Framebuffer current;

    private GraphicsOutput(ProtocolHost host, Handle handle, Screen screen) {
        this.host = host;
        this.memory = host.memory();
        this.screen = screen;
        if (screen.deviceBase() != 0) {
            base = screen.deviceBase();
            host.mapDeviceMemory(base, screen.bytes());
        } else {
            base = host.reserveFramebuffer(screen.bytes());
        }
        long[] fns = host.defineFunctions("GOP", List.of(
                new FunctionSpec("QueryMode", this::queryMode, "This", "ModeNumber", "SizeOfInfo", "Info"),
                new FunctionSpec("SetMode", this::setMode, "This", "ModeNumber"),
                new FunctionSpec("Blt", this::blt, "This", "BltBuffer", "BltOperation", "SourceX", "SourceY", "DestinationX",
                        "DestinationY", "Width", "Height", "Delta")));
        iface = host.newInterface(fns, 8);
        // EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE {u32 MaxMode, Mode; Info*; UINTN SizeOfInfo; FrameBufferBase; UINTN FrameBufferSize}
        mode = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, MODE_SIZE);
        infos = new long[screen.modes().size()];
        for (int i = 0; i < infos.length; i++) {
            infos[i] = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, INFO_SIZE);
            writeInfo(infos[i], screen.modes().get(i));
        }
        memory.u32(mode, infos.length);
        memory.u64(mode + 16, INFO_SIZE);
        memory.u64(mode + 24, base);
        memory.u64(iface + 24, mode);
        select(0);
        host.installProtocol(handle, GUID, iface);
    }

    /** Installs a GOP for {@code screen} on {@code handle} (the console's) in its first mode. */
    public static GraphicsOutput install(ProtocolHost host, Handle handle, Screen screen) {
        return new GraphicsOutput(host, handle, screen);
    }

    /** EFI_GRAPHICS_OUTPUT_MODE_INFORMATION {u32 Version, HorizontalResolution, VerticalResolution, PixelFormat; EFI_PIXEL_BITMASK; u32 PixelsPerScanLine}. */
    private void writeInfo(long at, Mode m) {
        memory.u32(at, 0);
        memory.u32(at + 4, m.width());
        memory.u32(at + 8, m.height());
        memory.u32(at + 12, screen.format().code);
        memory.fill(at + 16, 16, 0);
        memory.u32(at + 32, m.pixelsPerScanLine());
    }

    /** Makes mode {@code n} current: Mode, Info, FrameBufferSize, a black screen (§12.9.2.2), and the display shows it. */
    private void select(int n) {
        Mode m = screen.modes().get(n);
        current = new Framebuffer(base, m.width(), m.height(), m.pixelsPerScanLine(), screen.format());
        memory.u32(mode + 4, n);
        memory.u64(mode + 8, infos[n]);
        memory.u64(mode + 32, current.bytes());
        memory.fill(base, current.bytes(), 0);
        host.display().show(current);
    }

    /** QueryMode(This, ModeNumber, SizeOfInfo, Info): a copy of the mode's information in pool the caller frees. */
    long queryMode(Call c) {
        long n = c.arg(1), sizeOut = c.arg(2), infoOut = c.arg(3);
        if (sizeOut == 0 || infoOut == 0 || Long.compareUnsigned(n, infos.length) >= 0) return Status.INVALID_PARAMETER;
        long copy = host.allocateCallerPool(MemoryType.BOOT_SERVICES_DATA, INFO_SIZE);
        writeInfo(copy, screen.modes().get((int) n));
        c.memory().u64(sizeOut, INFO_SIZE);
        c.memory().u64(infoOut, copy);
        c.note(screen.modes().get((int) n).width() + "x" + screen.modes().get((int) n).height());
        return Status.SUCCESS;
    }

    /** SetMode(This, ModeNumber): EFI_UNSUPPORTED for a mode that is not in the list. */
    long setMode(Call c) {
        long n = c.arg(1);
        if (Long.compareUnsigned(n, infos.length) >= 0) return c.unsupported("mode " + Long.toUnsignedString(n));
        select((int) n);
        c.note(current.width() + "x" + current.height());
        return Status.SUCCESS;
    }

    /** Blt(This, BltBuffer, BltOperation, SourceX, SourceY, DestinationX, DestinationY, Width, Height, Delta) — §12.9.2.3. */
    long blt(Call c) {
        long buffer = c.arg(1), op = c.arg(2), sx = c.arg(3), sy = c.arg(4), dx = c.arg(5), dy = c.arg(6), w = c.arg(7), h = c.arg(8),
                delta = c.arg(9);
        Framebuffer fb = current;
        if (Long.compareUnsigned(op, VIDEO_TO_VIDEO) > 0 || w == 0 || h == 0) return Status.INVALID_PARAMETER;
        if (op != VIDEO_TO_VIDEO && buffer == 0) return Status.INVALID_PARAMETER;
        if (Long.compareUnsigned(w, fb.width()) > 0 || Long.compareUnsigned(h, fb.height()) > 0) return Status.INVALID_PARAMETER;
        int width = (int) w, height = (int) h;
        if (delta == 0) delta = 4L * width;
        c.note(new String[] {"VideoFill", "VideoToBltBuffer", "BufferToVideo", "VideoToVideo"}[(int) op] + " " + width + "x" + height);
        switch ((int) op) {
            case VIDEO_FILL -> {
                if (!fits(fb, dx, dy, width, height)) return Status.INVALID_PARAMETER;
                byte[] px = toVideo(memory.read(buffer, 4));
                byte[] row = new byte[4 * width];
                for (int i = 0; i < width; i++) System.arraycopy(px, 0, row, 4 * i, 4);
                for (int y = 0; y < height; y++) memory.write(pixel(fb, dx, dy + y), row);
            }
            case VIDEO_TO_BLT -> {
                if (!fits(fb, sx, sy, width, height)) return Status.INVALID_PARAMETER;
                for (int y = 0; y < height; y++) {
                    byte[] row = toVideo(memory.read(pixel(fb, sx, sy + y), 4 * width)); // the swap is its own inverse
                    memory.write(buffer + (dy + y) * delta + 4 * dx, row);
                }
            }
            case BLT_TO_VIDEO -> {
                if (!fits(fb, dx, dy, width, height)) return Status.INVALID_PARAMETER;
                for (int y = 0; y < height; y++) {
                    byte[] row = toVideo(memory.read(buffer + (sy + y) * delta + 4 * sx, 4 * width));
                    memory.write(pixel(fb, dx, dy + y), row);
                }
            }
            default -> {
                if (!fits(fb, sx, sy, width, height) || !fits(fb, dx, dy, width, height)) return Status.INVALID_PARAMETER;
                byte[][] rows = new byte[height][];
                for (int y = 0; y < height; y++) rows[y] = memory.read(pixel(fb, sx, sy + y), 4 * width);
                for (int y = 0; y < height; y++) memory.write(pixel(fb, dx, dy + y), rows[y]);
            }
        }
        return Status.SUCCESS;
    }

    private static boolean fits(Framebuffer fb, long x, long y, int w, int h) {
        return Long.compareUnsigned(x, fb.width()) < 0 && Long.compareUnsigned(y, fb.height()) < 0 && x + w <= fb.width() && y + h <= fb.height();
    }

    private static long pixel(Framebuffer fb, long x, long y) {
        return fb.base() + 4 * (y * fb.pixelsPerScanLine() + x);
    }

    /** EFI_GRAPHICS_OUTPUT_BLT_PIXEL is {Blue, Green, Red, Reserved}: as is for a BGRX screen, red and blue swapped for RGBX. */
    private byte[] toVideo(byte[] px) {
        if (screen.format() == PixelFormat.BGRX) return px;
        for (int i = 0; i + 3 < px.length; i += 4) {
            byte t = px[i];
            px[i] = px[i + 2];
            px[i + 2] = t;
        }
        return px;
    }

    /** The current mode's framebuffer. */
    public Framebuffer framebuffer() {
        return current;
    }

    public long iface() {
        return iface;
    }
}
