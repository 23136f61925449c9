package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.efi.Status;
import org.junit.jupiter.api.Test;

/**
 * The pool behind AllocatePool/FreePool (UEFI spec §7.2): 16-byte granules carved from 64 KiB
 * arenas of the requested memory type, whole pages from 16 KiB up, freed space merged with both
 * neighbours and reused first, types never mixed, the firmware's own blocks never freed.
 */
class PoolAllocatorTest {
    static final int LD = MemoryType.LOADER_DATA.code(), BS = MemoryType.BOOT_SERVICES_DATA.code();
    final MemoryMap map = PlatformLayout.q35(1L << 30);
    final PoolAllocator pool = new PoolAllocator(map);

    @Test
    void largeRequestsTakeWholePages() {
        long a = pool.allocate(LD, 16 * 1024);
        assertEquals(0, a % 4096);
        assertEquals(a, map.find(a).start());
        assertEquals(4, map.find(a).pages(), "16 KiB: four pages of its own");
        assertEquals(LD, map.find(a).type());
        long before = map.bytesByType().get("LoaderData");
        long b = pool.allocate(LD, 16 * 1024 - 1);
        assertEquals(0, b % 4096);
        assertEquals(before + 16 * 1024, map.bytesByType().get("LoaderData"), "rounded up to 16 KiB: pages too");
        long c = pool.allocate(LD, 16 * 1024 + 1);
        assertEquals(before + 16 * 1024 + 5 * 4096, map.bytesByType().get("LoaderData"), "five pages");
        assertTrue(pool.free(a));
        assertEquals(MemoryType.CONVENTIONAL.code(), map.find(a).type(), "its pages go back to the map");
        assertFalse(pool.isLive(a));
        long mid = map.bytesByType().get("LoaderData");
        long small = pool.allocate(LD, 16 * 1024 - 16);
        assertEquals(mid + 64 * 1024, map.bytesByType().get("LoaderData"), "just below 16 KiB: from a new 64 KiB arena");
        assertEquals(small + 16 * 1024 - 16, pool.allocate(LD, 16), "the rest of the arena next");
    }

    @Test
    void freedSpaceMergesWithBothNeighboursAndIsReused() {
        long a = pool.allocate(LD, 1), b = pool.allocate(LD, 16), c = pool.allocate(LD, 17);
        assertEquals(a + 16, b, "16-byte granules, one after the other");
        assertEquals(b + 16, c);
        long d = pool.allocate(LD, 0);
        assertEquals(c + 32, d, "17 bytes take 32; 0 bytes take 16");
        assertTrue(pool.free(b));
        assertTrue(pool.free(a)); // merges with b's space after it
        assertEquals(a, pool.allocate(LD, 32), "a and b's space as one");
        assertTrue(pool.free(a));
        assertTrue(pool.free(c)); // merges with a+b before it
        assertEquals(a, pool.allocate(LD, 64), "a, b and c as one");
        assertTrue(pool.free(a));
        assertTrue(pool.free(d)); // merges before (a..c) and after (the rest of the arena)
        assertEquals(a, pool.allocate(LD, 16000), "the whole arena is one free block again");
        assertFalse(pool.free(a + 16), "not the start of an allocation");
    }

    @Test
    void typesAreNeverMixedAndLimitsHold() {
        long a = pool.allocate(LD, 16);
        long b = pool.allocate(BS, 16);
        assertEquals(LD, map.find(a).type());
        assertEquals(BS, map.find(b).type());
        assertNotEquals(a + 16, b);
        assertTrue(pool.free(a));
        long c = pool.allocate(BS, 16);
        assertNotEquals(a, c, "a Boot Services block never takes Loader Data space");
        assertEquals(Status.OUT_OF_RESOURCES, assertThrows(AllocationException.class, () -> pool.allocate(LD, -1)).status());
        assertEquals(Status.OUT_OF_RESOURCES, assertThrows(AllocationException.class, () -> pool.allocate(LD, (1L << 48) + 1)).status());
        assertEquals(Status.INVALID_PARAMETER, assertThrows(AllocationException.class,
                () -> pool.allocate(MemoryType.CONVENTIONAL.code(), 16)).status());
        long pinned = pool.allocatePinned(BS, 32);
        assertFalse(pool.free(pinned), "the firmware's own structures are never freed");
        assertTrue(pool.isLive(pinned));
        assertFalse(pool.free(0));
    }
}
