package dev.efiemu.core.memory;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.loader.Guid;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Typed access to guest-physical memory: the only way the firmware model and the protocols read
 * or write what the payload sees. Little-endian, as every UEFI architecture is.
 */
public final class GuestMemory {
    private static final long PAGE = 4096;
    private final Cpu cpu;
    /** Firmware code the guest's arguments must not make the firmware write over (the service stubs). */
    private long guardBase, guardEnd;
    private int guarding;

    public GuestMemory(Cpu cpu) {
        this.cpu = cpu;
    }

    /** A guest address or length the firmware refuses to use on the guest's behalf. */
    public static final class BadGuestPointer extends RuntimeException {
        public BadGuestPointer(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Protects [base, base+size) from writes made while a service handles a guest call
     * ({@link #guarded}): a guest that passes a pointer into firmware code as an output buffer
     * gets a fault report instead of firmware code overwritten by the firmware itself.
     */
    public void guard(long base, long size) {
        this.guardBase = base;
        this.guardEnd = base + size;
    }

    /** Runs {@code body} with the guard on (nested calls nest). */
    public <T> T guarded(java.util.function.Supplier<T> body) {
        guarding++;
        try {
            return body.get();
        } finally {
            guarding--;
        }
    }

    private void checkWrite(long address, long length) {
        if (guarding > 0 && length > 0 && Long.compareUnsigned(address, guardEnd) < 0
                && Long.compareUnsigned(address + length, guardBase) > 0 && guardEnd > guardBase) {
            throw new BadGuestPointer(String.format("the call's output at 0x%x+0x%x lies in the firmware's service stubs", address, length));
        }
    }

    /**
     * Refuses a length no guest memory can hold before anything is allocated host-side (a size
     * above 2^31, or a range that wraps around the address space).
     */
    private static void checkLength(long address, long length) {
        if (length < 0 || length > Integer.MAX_VALUE - 16 || address + length < address && address + length != 0) {
            throw new BadGuestPointer(String.format("a length of 0x%x bytes at 0x%x", length, address));
        }
    }

    public byte[] read(long address, int length) {
        if (length == 0) return new byte[0];
        checkLength(address, length);
        if (length > (1 << 20)) { // make sure both ends exist before allocating a large host buffer
            cpu.read(address, 1);
            cpu.read(address + length - 1, 1);
        }
        return cpu.read(address, length);
    }

    /** {@link #read(long, int)} for a guest-supplied (unsigned) length. */
    public byte[] read(long address, long length) {
        checkLength(address, length);
        return read(address, (int) length);
    }

    public void write(long address, byte[] bytes) {
        checkWrite(address, bytes.length);
        if (bytes.length > 0) cpu.write(address, bytes);
    }

    public int u8(long address) {
        return read(address, 1)[0] & 0xff;
    }

    public int u16(long address) {
        return le(address, 2).getShort() & 0xffff;
    }

    public long u32(long address) {
        return le(address, 4).getInt() & 0xffffffffL;
    }

    public long u64(long address) {
        return cpu.readU64(address);
    }

    public void u8(long address, int value) {
        write(address, new byte[] {(byte) value});
    }

    public void u16(long address, int value) {
        write(address, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value).array());
    }

    public void u32(long address, long value) {
        checkWrite(address, 4);
        cpu.writeU32(address, (int) value);
    }

    public void u64(long address, long value) {
        checkWrite(address, 8);
        cpu.writeU64(address, value);
    }

    public Guid guid(long address) {
        return Guid.fromBytes(read(address, 16), 0);
    }

    public void guid(long address, Guid g) {
        write(address, g.toBytes());
    }

    public void fill(long address, long length, int value) {
        if (length < 0 || address + length < address && address + length != 0) {
            throw new BadGuestPointer(String.format("a length of 0x%x bytes at 0x%x", length, address));
        }
        checkWrite(address, length);
        byte[] chunk = new byte[(int) Math.min(length, 1 << 20)];
        java.util.Arrays.fill(chunk, (byte) value);
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(chunk.length, length - done);
            cpu.write(address + done, chunk, 0, n);
            done += n;
        }
    }

    /**
     * A NUL-terminated UTF-16LE string (CHAR16*), at most {@code maxChars} characters. Read in
     * chunks that never cross a page boundary past the terminator: a string that ends just below
     * memory the engine does not back must not fault (only allocated RAM is backed).
     */
    public String utf16z(long address, int maxChars) {
        if (address == 0) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long at = address;
        long limit = address + 2L * maxChars;
        while (at < limit) {
            int n = (int) Math.min(Math.min(128, limit - at), PAGE - (at & (PAGE - 1)));
            if (n < 2) n = 2; // a character straddling a page boundary
            byte[] b = read(at, n);
            for (int j = 0; j + 1 < b.length; j += 2) {
                if (b[j] == 0 && b[j + 1] == 0) return out.toString(StandardCharsets.UTF_16LE);
                out.write(b[j]);
                out.write(b[j + 1]);
            }
            at += n & ~1;
        }
        return out.toString(StandardCharsets.UTF_16LE);
    }

    /** Encodes a CHAR16 string with its terminating NUL. */
    public static byte[] utf16z(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_16LE);
        return java.util.Arrays.copyOf(b, b.length + 2);
    }

    /** A NUL-terminated ASCII string of at most {@code max} bytes, read page by page (see {@link #utf16z}). */
    public String asciiz(long address, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long at = address;
        long limit = address + max;
        while (at < limit) {
            int n = (int) Math.min(limit - at, PAGE - (at & (PAGE - 1)));
            byte[] b = read(at, n);
            for (byte c : b) {
                if (c == 0) return out.toString(StandardCharsets.ISO_8859_1);
                out.write(c);
            }
            at += n;
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private ByteBuffer le(long address, int n) {
        return ByteBuffer.wrap(read(address, n)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
