package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.efi.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory map at its edges: {@link MemoryMap#overlay} (a host's EFI runtime region laid over its
 * e820-derived map, HostMemoryLayout) with ranges adjacent to, overlapping, containing and equal to
 * existing ones, over holes, empty or unaligned, over allocations, and at the top of the physical
 * address space; AllocatePages and FreePages with addresses no page run can start at (UEFI spec
 * §7.2: AllocateAddress / AllocateMaxAddress, NOT_FOUND; MaxAddress is an unsigned upper bound,
 * "the uppermost address ... less than or equal to").
 */
class MemoryMapEdgesTest {
    static final long P = MemoryMap.PAGE;
    static final int CONV = MemoryType.CONVENTIONAL.code(), RT_CODE = MemoryType.RUNTIME_SERVICES_CODE.code(),
            RT_DATA = MemoryType.RUNTIME_SERVICES_DATA.code(), RESERVED = MemoryType.RESERVED.code();
    static final long RT = MemoryMap.ATTR_RUNTIME | MemoryMap.ATTR_RAM;

    /** RAM [1, 100) pages, reserved [100, 110), RAM [110, 200), nothing from 200 to 300, RAM [300, 400). */
    static MemoryMap map() {
        MemoryMap m = new MemoryMap();
        m.addRam(P, 100 * P);
        m.addFixed(100 * P, 110 * P, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        m.addRam(110 * P, 200 * P);
        m.addRam(300 * P, 400 * P);
        return m;
    }

    static MemoryMap.Region ram(long from, long to) {
        return new MemoryMap.Region(from * P, to - from, CONV, MemoryMap.ATTR_RAM, false);
    }

    static MemoryMap.Region fixed(long from, long to, int type, long attr) {
        return new MemoryMap.Region(from * P, to - from, type, attr, true);
    }

    static final MemoryMap.Region RES = fixed(100, 110, RESERVED, MemoryMap.ATTR_RAM);

    @Test
    void anOverlayInsideRamCutsItInTwo() {
        MemoryMap m = map();
        long key = m.mapKey();
        m.overlay(10 * P, 20 * P, RT_CODE, RT);
        assertEquals(List.of(ram(1, 10), fixed(10, 20, RT_CODE, RT), ram(20, 100), RES, ram(110, 200), ram(300, 400)), m.regions());
        assertNotEquals(key, m.mapKey());
        assertEquals(400 * P, m.highestAddress());
    }

    @Test
    void anOverlayAdjacentToARegionLeavesItWhole() {
        MemoryMap m = map();
        m.overlay(P, 10 * P, RT_CODE, RT);                 // from RAM's first page
        m.overlay(90 * P, 100 * P, RT_DATA, RT);           // up to the reserved range
        m.overlay(110 * P, 111 * P, RT_DATA, RT);          // right after it
        m.overlay(199 * P, 200 * P, RT_CODE, RT);          // RAM's last page
        assertEquals(List.of(fixed(1, 10, RT_CODE, RT), ram(10, 90), fixed(90, 100, RT_DATA, RT), RES, fixed(110, 111, RT_DATA, RT),
                ram(111, 199), fixed(199, 200, RT_CODE, RT), ram(300, 400)), m.regions());
    }

    @Test
    void anOverlayReplacesWhatItCoversAndKeepsTheRest() {
        MemoryMap m = map();
        m.overlay(100 * P, 110 * P, RT_DATA, RT);          // exactly the reserved range
        assertEquals(List.of(ram(1, 100), fixed(100, 110, RT_DATA, RT), ram(110, 200), ram(300, 400)), m.regions());
        m = map();
        m.overlay(50 * P, 150 * P, RT_CODE, RT);           // RAM, reserved, RAM: one region, the ends cut
        assertEquals(List.of(ram(1, 50), fixed(50, 150, RT_CODE, RT), ram(150, 200), ram(300, 400)), m.regions());
        m = map();
        m.overlay(105 * P, 120 * P, RT_CODE, RT);          // half the reserved range keeps its type and flags
        assertEquals(List.of(ram(1, 100), fixed(100, 105, RESERVED, MemoryMap.ATTR_RAM), fixed(105, 120, RT_CODE, RT), ram(120, 200),
                ram(300, 400)), m.regions());
        m = map();
        m.overlay(0, 500 * P, RT_DATA, RT);                // everything, holes included
        assertEquals(List.of(fixed(0, 500, RT_DATA, RT)), m.regions());
        assertEquals(500 * P, m.highestAddress());
    }

    @Test
    void anOverlayOverAHoleDescribesIt() {
        MemoryMap m = map();
        m.overlay(190 * P, 310 * P, RT_DATA, RT);          // RAM's end, the hole, the next RAM's start
        assertEquals(List.of(ram(1, 100), RES, ram(110, 190), fixed(190, 310, RT_DATA, RT), ram(310, 400)), m.regions());
        m.overlay(250 * P, 260 * P, RT_CODE, RT);          // inside the region just laid: cut again
        assertEquals(List.of(ram(1, 100), RES, ram(110, 190), fixed(190, 250, RT_DATA, RT), fixed(250, 260, RT_CODE, RT),
                fixed(260, 310, RT_DATA, RT), ram(310, 400)), m.regions());
    }

    @Test
    void overlaidRangesAreNeitherAllocatedNorFreedAndStayApart() {
        MemoryMap m = map();
        m.overlay(10 * P, 11 * P, RT_CODE, RT);
        m.overlay(11 * P, 12 * P, RT_CODE, RT);            // same type and attribute, own descriptor (own virtual address)
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class,
                () -> m.allocate(MemoryMap.AllocateType.ADDRESS, 2, 1, 10 * P)).status());
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class, () -> m.free(11 * P, 1)).status());
        long a = m.allocate(MemoryMap.AllocateType.ADDRESS, 2, 1, 12 * P); // a merge pass runs
        assertEquals(12 * P, a);
        assertEquals(List.of(ram(1, 10), fixed(10, 11, RT_CODE, RT), fixed(11, 12, RT_CODE, RT)), m.regions().subList(0, 3));
    }

    @Test
    void badOverlaysChangeNothing() {
        MemoryMap m = map();
        long a = m.allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.LOADER_DATA.code(), 2, 150 * P);
        List<MemoryMap.Region> before = m.regions();
        long key = m.mapKey();
        assertThrows(IllegalArgumentException.class, () -> m.overlay(10 * P, 10 * P, RT_CODE, RT), "empty");
        assertThrows(IllegalArgumentException.class, () -> m.overlay(20 * P, 10 * P, RT_CODE, RT), "backwards");
        assertThrows(IllegalArgumentException.class, () -> m.overlay(10 * P + 8, 20 * P, RT_CODE, RT), "unaligned start");
        assertThrows(IllegalArgumentException.class, () -> m.overlay(10 * P, 20 * P - 8, RT_CODE, RT), "unaligned end");
        assertThrows(IllegalArgumentException.class, () -> m.overlay(a, a + P, RT_CODE, RT), "on an allocation");
        assertThrows(IllegalArgumentException.class, () -> m.overlay(a + P, a + 3 * P, RT_CODE, RT), "over an allocation's last page");
        // free RAM and the reserved range first, then the allocation: the refusal must not have cut them
        assertThrows(IllegalArgumentException.class, () -> m.overlay(90 * P, 160 * P, RT_CODE, RT), "across RAM into an allocation");
        assertEquals(before, m.regions());
        assertEquals(key, m.mapKey());
        assertEquals(List.of(new MemoryMap.Allocation(a, 2 * P)), m.allocations());
    }

    @Test
    void anOverlayAtTheTopOfThePhysicalAddressSpace() {
        MemoryMap m = map();
        long top = 1L << 52;                               // x86-64's and AArch64's largest physical address width
        m.overlay(top - 2 * P, top, RT_DATA, RT);
        assertEquals(fixed((top >> 12) - 2, top >> 12, RT_DATA, RT), m.find(top - 1));
        assertNull(m.find(top));
        assertEquals(top, m.highestAddress());
        assertEquals(top, m.highestRamAddress(), "runtime data is RAM");
        assertEquals(List.of(m.find(top - P)), m.regions(top - 2 * P, Long.MAX_VALUE));
    }

    @Test
    void allocateAddressPastTheAddressSpaceIsNotFound() {
        MemoryMap m = map();
        List<long[]> told = new ArrayList<>();
        m.onAllocation((s, n) -> told.add(new long[] {s, n}));
        List<MemoryMap.Region> before = m.regions();
        for (long at : new long[] {Long.MAX_VALUE & -P, (Long.MAX_VALUE & -P) - P, -P, 1L << 63, 400 * P, 199 * P}) {
            assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class,
                    () -> m.allocate(MemoryMap.AllocateType.ADDRESS, 2, 2, at), String.format("0x%x", at)).status(), String.format("0x%x", at));
        }
        assertEquals(before, m.regions());
        assertEquals(List.of(), told);
    }

    @Test
    void maxAddressIsAnUnsignedUpperBound() {
        for (long max : new long[] {-1L, -P, 1L << 63, Long.MAX_VALUE, 1L << 52}) {
            MemoryMap m = map();
            assertEquals(399 * P, m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, 2, 1, max), String.format("0x%x", max));
        }
        MemoryMap m = map();
        assertEquals(199 * P, m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, 2, 1, 300 * P), "ending at the limit's page");
        assertEquals(300 * P, m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, 2, 1, 301 * P - 1), "a page whose last byte is the limit");
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class,
                () -> m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, 2, 1, P)).status(), "below RAM's first page");
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class,
                () -> m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, 2, 1, 0)).status(), "MaxAddress 0");
    }

    static MemoryMap.Allocation run(long page, long pages) {
        return new MemoryMap.Allocation(page * P, pages * P);
    }

    /** AllocatePages runs as the payload made them (the map merges neighbours of a type, this list does not); FreePages cuts them. */
    @Test
    void allocationsAreTheRunsAsMadeAndFreePagesCutsThem() {
        MemoryMap m = map();
        int data = MemoryType.LOADER_DATA.code();
        m.allocate(MemoryMap.AllocateType.ADDRESS, data, 4, 10 * P);
        m.allocate(MemoryMap.AllocateType.ADDRESS, data, 2, 14 * P);   // adjacent, same type: one region
        m.allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.BOOT_SERVICES_DATA.code(), 3, 20 * P);
        m.allocate(MemoryMap.AllocateType.ADDRESS, data, 2, 98 * P);   // ends where the reserved range starts
        assertEquals(List.of(run(10, 4), run(14, 2), run(20, 3), run(98, 2)), m.allocations());
        assertEquals(new MemoryMap.Region(10 * P, 6, data, MemoryMap.ATTR_RAM, false), m.find(10 * P));
        assertEquals(List.of(new MemoryMap.Region(98 * P, 2, data, MemoryMap.ATTR_RAM, false), RES), m.regions(98 * P, 101 * P));
        assertEquals(23 * P, m.allocations().get(2).end());
        m.free(11 * P, 1);                                              // inside the first: two runs
        assertEquals(List.of(run(10, 1), run(12, 2), run(14, 2), run(20, 3), run(98, 2)), m.allocations());
        m.free(13 * P, 2);                                              // the end of one and the start of the next
        assertEquals(List.of(run(10, 1), run(12, 1), run(15, 1), run(20, 3), run(98, 2)), m.allocations());
        m.free(20 * P, 3);                                              // a whole run: nothing of it stays
        m.free(10 * P, 1);                                              // the lowest run, no run below it
        assertEquals(List.of(run(12, 1), run(15, 1), run(98, 2)), m.allocations());
        m.free(98 * P, 2);
        m.free(12 * P, 1);
        m.free(15 * P, 1);
        assertEquals(List.of(), m.allocations());
        assertEquals(map().regions(), m.regions(), "all free again: the map as it was");
    }

    @Test
    void theMapKeyNeverRepeats() {
        MemoryMap m = new MemoryMap();
        java.util.Set<Long> keys = new java.util.HashSet<>();
        keys.add(m.mapKey());
        m.addRam(10 * P, 20 * P);
        assertTrue(keys.add(m.mapKey()));
        m.addRam(5 * P, 10 * P);                                        // right below existing RAM
        assertTrue(keys.add(m.mapKey()));
        m.addFixed(20 * P, 21 * P, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        assertTrue(keys.add(m.mapKey()));
        long a = m.allocate(MemoryMap.AllocateType.ANY_PAGES, 2, 1, 0);
        assertTrue(keys.add(m.mapKey()));
        m.overlay(6 * P, 7 * P, RT_CODE, RT);
        assertTrue(keys.add(m.mapKey()));
        m.free(a, 1);
        assertTrue(keys.add(m.mapKey()));
        assertEquals(List.of(ram(5, 6), fixed(6, 7, RT_CODE, RT), ram(7, 20), fixed(20, 21, RESERVED, MemoryMap.ATTR_RAM)), m.regions());
    }

    @Test
    void adjacentEqualPlatformRangesMergeButRuntimeOnesDoNot() {
        MemoryMap m = map();
        m.addFixed(200 * P, 210 * P, MemoryType.RESERVED, MemoryMap.ATTR_RAM);   // right after RAM
        m.addFixed(210 * P, 220 * P, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        m.overlay(230 * P, 231 * P, RT_DATA, RT);
        m.overlay(231 * P, 232 * P, RT_DATA, RT);
        m.allocate(MemoryMap.AllocateType.ADDRESS, 2, 1, 50 * P);               // a merge pass
        assertEquals(List.of(fixed(200, 220, RESERVED, MemoryMap.ATTR_RAM), fixed(230, 231, RT_DATA, RT), fixed(231, 232, RT_DATA, RT)),
                m.regions(200 * P, 300 * P));
    }
}
