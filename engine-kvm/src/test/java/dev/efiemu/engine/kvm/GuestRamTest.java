package dev.efiemu.engine.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.CpuException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The shadowing of code-hook ranges (the guest sees HLT, the host the real bytes) and the region
 * bookkeeping, on host-only regions (no KVM needed: the slot is what KVM would see).
 */
class GuestRamTest {
    static byte[] guestView(GuestRam.Region r, long offset, int n) {
        return r.host().getByteArray(offset, n);
    }

    static byte[] hlt(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, GuestRam.HLT);
        return b;
    }

    @Test
    void theGuestSeesHaltsWhereTheHostSeesTheStubs() {
        try (GuestRam ram = new GuestRam(-1)) {
            GuestRam.Region r = ram.map(0x10000, 0x2000, false);
            byte[] stub = {0x48, (byte) 0xb8, 3, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xc3}; // movabs rax, ...; ret
            ram.write(0x10010, stub, 0, stub.length);
            GuestRam.Shadow s = ram.shadow(0x10000, 0x100ff);
            assertArrayEquals(hlt(0x100), guestView(r, 0, 0x100), "every byte of the hooked range halts");
            byte[] back = new byte[stub.length];
            ram.read(0x10010, back, 0, back.length);
            assertArrayEquals(stub, back, "the host (and the hand-off) reads the real stub");
            assertTrue(ram.shadowed(0x10000) && ram.shadowed(0x100ff) && !ram.shadowed(0x10100));

            byte[] next = {0x31, (byte) 0xc0, (byte) 0xc3};
            ram.write(0x100fe, next, 0, next.length); // straddles the end of the shadow
            assertArrayEquals(hlt(2), guestView(r, 0xfe, 2), "a write inside the shadow keeps the guest halting");
            assertEquals((byte) 0xc3, guestView(r, 0x100, 1)[0], "past the shadow the guest sees the write");
            ram.read(0x100fe, back, 0, 3);
            assertArrayEquals(next, Arrays.copyOf(back, 3));

            GuestRam.Shadow inner = ram.shadow(0x10010, 0x10010); // e.g. a run's `until` inside the stub area
            ram.unshadow(inner);
            assertArrayEquals(hlt(0x100), guestView(r, 0, 0x100), "the outer shadow still covers the inner one's bytes");
            ram.unshadow(s);
            assertArrayEquals(stub, guestView(r, 0x10, stub.length), "unhooked, the guest runs the real stub");
            assertArrayEquals(new byte[] {0x31, (byte) 0xc0}, guestView(r, 0xfe, 2));
            assertFalse(ram.shadowed(0x10000));
        }
    }

    @Test
    void readsAndWritesCrossRegionsButNeverHoles() {
        try (GuestRam ram = new GuestRam(-1)) {
            ram.map(0x1000, 0x1000, false);
            ram.map(0x2000, 0x1000, false);
            byte[] b = new byte[0x20];
            Arrays.fill(b, (byte) 7);
            ram.write(0x1ff0, b, 0, b.length);
            byte[] back = new byte[0x20];
            ram.read(0x1ff0, back, 0, back.length);
            assertArrayEquals(b, back);
            CpuException e = assertThrows(CpuException.class, () -> ram.read(0x2ff0, new byte[0x20], 0, 0x20));
            assertEquals("kvm: read 0x2ff0+0x20: 0x3000 is not mapped", e.getMessage());
            assertThrows(CpuException.class, () -> ram.map(0x2000, 0x1000, false), "overlapping maps are refused");
            assertThrows(CpuException.class, () -> ram.unmap(0x1800, 0x1000), "only whole regions unmap");
            ram.unmap(0x1000, 0x2000);
            assertFalse(ram.mapped(0x1000) || ram.mapped(0x2000));
            assertEquals(0, ram.bytes());
        }
    }
}
