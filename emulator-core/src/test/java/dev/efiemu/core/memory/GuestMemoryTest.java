package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.loader.Guid;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The typed view of guest memory that every service and protocol uses: little-endian widths read
 * back unsigned, strings read page by page so one that ends right below unbacked memory does not
 * fault, lengths no guest memory can hold refused before anything is allocated, and the guard that
 * keeps a guest's output pointer off the firmware's own code.
 */
class GuestMemoryTest {
    Firmware fw;
    GuestMemory mem;
    long buf;

    @BeforeEach
    void open() {
        fw = new Firmware(MachineConfig.defaults(), PeImageFile::parse);
        mem = fw.memory();
        buf = fw.machine().memoryMap().allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.LOADER_DATA.code(), 1, 0x201ff000L);
    }

    @AfterEach
    void close() {
        fw.close();
    }

    @Test
    void widthsAreLittleEndianAndUnsigned() {
        mem.u64(buf, 0x8877665544332211L);
        assertEquals(0x11, mem.u8(buf));
        assertEquals(0x2211, mem.u16(buf));
        assertEquals(0x44332211L, mem.u32(buf));
        assertEquals(0x8877665544332211L, mem.u64(buf));
        assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88}, mem.read(buf, 8));
        mem.u8(buf, 0xff);
        mem.u16(buf + 2, 0xfffe);
        mem.u32(buf + 4, 0xfffffffdL);
        assertEquals(0xff, mem.u8(buf));
        assertEquals(0xfffe, mem.u16(buf + 2));
        assertEquals(0xfffffffdL, mem.u32(buf + 4));
        assertEquals(0x22, mem.u8(buf + 1), "u8 writes one byte");
        mem.u16(buf + 8, 0x12345);
        assertEquals(0x2345, mem.u16(buf + 8), "u16 keeps the low 16 bits");
        assertEquals(0, mem.u8(buf + 10));
        Guid g = Guid.parse("01234567-89ab-cdef-0011-223344556677");
        mem.guid(buf + 16, g);
        assertEquals(g, mem.guid(buf + 16));
        assertEquals(0x67, mem.u8(buf + 16), "Data1 little-endian");
        assertEquals(0, mem.read(buf, 0).length);
        assertEquals(0, mem.read(buf, 0L).length);
        mem.write(buf, new byte[0]);
    }

    @Test
    void fillAndBadLengths() {
        mem.fill(buf + 1, 6, 0x5a);
        assertArrayEquals(new byte[] {0, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0}, mem.read(buf, 8));
        long big = fw.machine().memoryMap().allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.LOADER_DATA.code(), 600, 0);
        mem.fill(big, 600 * 4096L, 0xa5); // more than one 1 MiB chunk
        assertEquals(0xa5, mem.u8(big + 600 * 4096L - 1));
        assertEquals(0xa5, mem.u8(big + (1 << 20)));
        assertEquals(0xa5a5a5a5a5a5a5a5L, mem.u64(big + (1 << 20) - 4));
        byte[] whole = mem.read(big, 600 * 4096L);
        assertEquals(600 * 4096, whole.length, "a read above 1 MiB");
        assertThrows(GuestMemory.BadGuestPointer.class, () -> mem.read(buf, -1L));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> mem.read(buf, 1L << 31));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> mem.read(Long.MAX_VALUE - 8, 32L), "runs past the end of the address space");
        assertThrows(GuestMemory.BadGuestPointer.class, () -> mem.fill(buf, -1, 0));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> mem.fill(Long.MAX_VALUE - 8, 32, 0));
        assertThrows(RuntimeException.class, () -> mem.read(0x7000000000L, 2 << 20), "both ends of a large read must exist");
    }

    @Test
    void stringsStopAtTheirEndAndAtUnbackedMemory() {
        // "hi" and its NUL end exactly where the backed memory ends (the next 2 MiB granule is not backed)
        long end = 0x20200000L;
        byte[] hi = GuestMemory.utf16z("hi");
        assertArrayEquals("hi\0".getBytes(StandardCharsets.UTF_16LE), hi);
        mem.write(end - hi.length, hi);
        assertEquals("hi", mem.utf16z(end - hi.length, 100));
        assertThrows(RuntimeException.class, () -> mem.read(end, 1), "the next granule is not backed");
        mem.write(end - 4, new byte[] {'o', 'k', 'Z', 0});
        assertEquals("okZ", mem.asciiz(end - 4, 100));
        // a string crossing a page boundary, longer than one 128-byte chunk
        String s = "x".repeat(300);
        long at = buf + 4096 - 100;
        long other = fw.machine().memoryMap().allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.LOADER_DATA.code(), 2, 0x30000000L);
        mem.write(other + 4096 - 101, GuestMemory.utf16z(s));
        assertEquals(s, mem.utf16z(other + 4096 - 101, 1000), "an odd start, across the page");
        assertEquals("x".repeat(7), mem.utf16z(other + 4096 - 101, 7), "cut at maxChars");
        mem.write(other, "abcdefgh\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals("abc", mem.asciiz(other, 3));
        assertEquals("abcdefgh", mem.asciiz(other, 100));
        mem.write(other + 4090, "0123456789\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals("0123456789", mem.asciiz(other + 4090, 100), "across a page");
        assertNull(mem.utf16z(0, 10));
        assertEquals("", mem.utf16z(other + 8, 10), "an empty string");
        assertTrue(at > 0);
    }

    @Test
    void theGuardKeepsOutputsOffFirmwareCode() {
        GuestMemory g = new GuestMemory(fw.machine().cpu());
        g.guard(buf + 0x100, 0x100);
        g.u64(buf + 0x100, 1); // not while handling a call
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.u64(buf + 0x1f8, 1); return null; }));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.u32(buf + 0xfe, 1); return null; }), "overlapping the start");
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.write(buf + 0x1ff, new byte[1]); return null; }));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.fill(buf, 0x101, 0); return null; }));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.u16(buf + 0x100, 0); return null; }));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> { g.u8(buf + 0x150, 0); return null; }));
        assertThrows(GuestMemory.BadGuestPointer.class, () -> g.guarded(() -> g.guarded(() -> { g.u8(buf + 0x150, 0); return null; })), "nested");
        assertEquals(7, g.guarded(() -> {
            g.u64(buf + 0xf8, 7);      // ends where the guard starts
            g.u64(buf + 0x200, 7);     // starts where it ends
            g.fill(buf, 0x100, 0);
            g.write(buf + 0x100, new byte[0]);
            return (int) g.u64(buf + 0x200);
        }));
        g.u8(buf + 0x150, 0); // off again after the call
        GuestMemory none = new GuestMemory(fw.machine().cpu());
        assertEquals(1, none.guarded(() -> { none.u64(buf + 0x100, 1); return 1; }), "no guard set: nothing refused");
    }
}
