package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.efi.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryMapTest {
    static final int LOADER_DATA = MemoryType.LOADER_DATA.code();

    MemoryMap q35 = PlatformLayout.q35(1L << 30);

    @Test
    void q35LayoutMatchesSeaBiosE820() {
        // SeaBIOS e820, q35 with 1 GiB: usable to 0x9fbff, RAM 1 MiB-0x3ffdffff, reserved top 128 KiB.
        assertEquals(MemoryType.CONVENTIONAL.code(), q35.find(0x9e000).type());
        assertEquals(MemoryType.RESERVED.code(), q35.find(0x9fc00).type());
        assertEquals(null, q35.find(0xa0000));
        assertEquals(MemoryType.CONVENTIONAL.code(), q35.find(0x100000).type());
        assertEquals(MemoryType.CONVENTIONAL.code(), q35.find(0x3ffdf000).type());
        assertEquals(MemoryType.RESERVED.code(), q35.find(0x3ffe0000).type());
        assertEquals(MemoryType.MMIO.code(), q35.find(0xb0000000L).type());
        // SeaBIOS's own area in usable RAM is never handed out.
        assertTrue(q35.find(0x3efdf000).fixed());
    }

    @Test
    void allocationsNeverOverlapAndStayInRam() {
        long a = q35.allocate(MemoryMap.AllocateType.ANY_PAGES, LOADER_DATA, 10, 0);
        long b = q35.allocate(MemoryMap.AllocateType.ANY_PAGES, LOADER_DATA, 10, 0);
        assertTrue(a + 10 * 4096 <= b || b + 10 * 4096 <= a);
        assertNoOverlaps(q35.regions());
        for (long p : new long[] {a, b}) assertEquals(MemoryType.CONVENTIONAL.code(), PlatformLayout.q35(1L << 30).find(p).type());
    }

    @Test
    void maxAddressIsHonoured() {
        long a = q35.allocate(MemoryMap.AllocateType.MAX_ADDRESS, LOADER_DATA, 4, 0x7fffffff);
        assertTrue(a + 4 * 4096 - 1 <= 0x7fffffff);
        long low = q35.allocate(MemoryMap.AllocateType.MAX_ADDRESS, LOADER_DATA, 1, 0xfffff);
        assertTrue(low < 0x100000 && low >= 0x1000, Long.toHexString(low));
    }

    @Test
    void addressAllocationOnlyWhereFree() {
        long at = 0x2000000;
        assertEquals(at, q35.allocate(MemoryMap.AllocateType.ADDRESS, LOADER_DATA, 16, at));
        var e = assertThrows(AllocationException.class, () -> q35.allocate(MemoryMap.AllocateType.ADDRESS, LOADER_DATA, 1, at + 4096));
        assertEquals(Status.NOT_FOUND, e.status());
        var hole = assertThrows(AllocationException.class, () -> q35.allocate(MemoryMap.AllocateType.ADDRESS, LOADER_DATA, 1, 0xa0000));
        assertEquals(Status.NOT_FOUND, hole.status());
    }

    @Test
    void freeRestoresConventionalAndMerges() {
        int before = q35.regions().size();
        long a = q35.allocate(MemoryMap.AllocateType.ADDRESS, LOADER_DATA, 16, 0x2000000);
        assertNotEquals(before, q35.regions().size());
        q35.free(a, 16);
        assertEquals(before, q35.regions().size());
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class, () -> q35.free(a, 16)).status());
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class, () -> q35.free(0x9f000, 1)).status());
    }

    @Test
    void mapKeyChangesOnEveryChange() {
        long k0 = q35.mapKey();
        long a = q35.allocate(MemoryMap.AllocateType.ANY_PAGES, LOADER_DATA, 1, 0);
        long k1 = q35.mapKey();
        q35.free(a, 1);
        assertTrue(k1 != k0 && q35.mapKey() != k1);
        assertEquals(q35.mapKey(), q35.mapKey());
    }

    @Test
    void outOfResources() {
        var e = assertThrows(AllocationException.class, () -> q35.allocate(MemoryMap.AllocateType.ANY_PAGES, LOADER_DATA, 1L << 20, 0));
        assertEquals(Status.OUT_OF_RESOURCES, e.status());
    }

    @Test
    void encodedDescriptorsAreSortedAnd48Bytes() {
        q35.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.RUNTIME_SERVICES_DATA.code(), 3, 0);
        byte[] enc = q35.encode();
        assertEquals(0, enc.length % 48);
        ByteBuffer b = ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN);
        long prevEnd = 0;
        boolean sawRuntime = false;
        for (int o = 0; o < enc.length; o += 48) {
            long start = b.getLong(o + 8), pages = b.getLong(o + 24), attr = b.getLong(o + 32);
            assertTrue(start >= prevEnd, "sorted, no overlap");
            prevEnd = start + pages * 4096;
            if (b.getInt(o) == MemoryType.RUNTIME_SERVICES_DATA.code()) {
                sawRuntime = true;
                assertTrue(attr < 0, "runtime memory carries EFI_MEMORY_RUNTIME");
            }
        }
        assertTrue(sawRuntime);
    }

    @Test
    void poolAllocationsAreAlignedDistinctAndReusable() {
        PoolAllocator pool = new PoolAllocator(q35);
        long a = pool.allocate(LOADER_DATA, 1);
        long b = pool.allocate(LOADER_DATA, 100);
        long big = pool.allocate(LOADER_DATA, 1 << 20);
        assertEquals(0, a % 8);
        assertEquals(0, b % 8);
        assertEquals(0, big % 4096);
        assertTrue(b >= a + 16 || a >= b + 112);
        assertTrue(pool.free(a));
        assertTrue(!pool.free(a), "double free is refused");
        assertTrue(!pool.free(0x1234));
        assertEquals(a, pool.allocate(LOADER_DATA, 8), "freed space is reused");
        assertTrue(pool.free(big));
        assertThrows(AllocationException.class, () -> pool.allocate(MemoryType.CONVENTIONAL.code(), 8));
    }

    /** Random allocate/free traffic: live pool blocks never overlap (the stub's realloc pattern found a bug here). */
    @Test
    void poolBlocksNeverOverlapUnderChurn() {
        PoolAllocator pool = new PoolAllocator(q35);
        java.util.Random r = new java.util.Random(7);
        java.util.TreeMap<Long, Long> live = new java.util.TreeMap<>();
        for (int i = 0; i < 20000; i++) {
            if (live.isEmpty() || r.nextInt(3) > 0) {
                long size = 1 + r.nextInt(r.nextBoolean() ? 64 : 2000);
                long a = pool.allocate(LOADER_DATA, size);
                var below = live.floorEntry(a + size - 1);
                assertTrue(below == null || below.getKey() + below.getValue() <= a, "overlap at 0x" + Long.toHexString(a));
                var above = live.ceilingEntry(a);
                assertTrue(above == null || above.getKey() >= a + size, "overlap at 0x" + Long.toHexString(a));
                live.put(a, size);
            } else {
                Long k = live.keySet().stream().skip(r.nextInt(live.size())).findFirst().orElseThrow();
                live.remove(k);
                assertTrue(pool.free(k));
            }
        }
    }

    static void assertNoOverlaps(List<MemoryMap.Region> rs) {
        for (int i = 1; i < rs.size(); i++) assertTrue(rs.get(i - 1).end() <= rs.get(i).start());
    }
}
