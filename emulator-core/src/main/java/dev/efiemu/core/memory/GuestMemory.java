package dev.efiemu.core.memory;

import dev.efiemu.core.Guid;
import dev.efiemu.cpu.Cpu;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Typed access to guest-physical memory: the only way the firmware model and the protocols read
 * or write what the payload sees. Little-endian, as every UEFI architecture is.
 */
public final class GuestMemory {
    private final Cpu cpu;

    public GuestMemory(Cpu cpu) {
        this.cpu = cpu;
    }

    public byte[] read(long address, int length) {
        if (length == 0) return new byte[0];
        return cpu.read(address, length);
    }

    public void write(long address, byte[] bytes) {
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
        cpu.writeU32(address, (int) value);
    }

    public void u64(long address, long value) {
        cpu.writeU64(address, value);
    }

    public Guid guid(long address) {
        return Guid.fromBytes(read(address, 16), 0);
    }

    public void guid(long address, Guid g) {
        write(address, g.toBytes());
    }

    public void fill(long address, long length, int value) {
        byte[] chunk = new byte[(int) Math.min(length, 1 << 20)];
        java.util.Arrays.fill(chunk, (byte) value);
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(chunk.length, length - done);
            cpu.write(address + done, chunk, 0, n);
            done += n;
        }
    }

    /** A NUL-terminated UTF-16LE string (CHAR16*), at most {@code maxChars} characters. */
    public String utf16z(long address, int maxChars) {
        if (address == 0) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = 64;
        for (int i = 0; i < maxChars; i += chunk) {
            byte[] b = read(address + 2L * i, 2 * chunk);
            for (int j = 0; j + 1 < b.length; j += 2) {
                if (b[j] == 0 && b[j + 1] == 0) return out.toString(StandardCharsets.UTF_16LE);
                out.write(b[j]);
                out.write(b[j + 1]);
            }
        }
        return out.toString(StandardCharsets.UTF_16LE);
    }

    /** Encodes a CHAR16 string with its terminating NUL. */
    public static byte[] utf16z(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_16LE);
        return java.util.Arrays.copyOf(b, b.length + 2);
    }

    /** A NUL-terminated ASCII string. */
    public String asciiz(long address, int max) {
        byte[] b = read(address, max);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }

    private ByteBuffer le(long address, int n) {
        return ByteBuffer.wrap(read(address, n)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
