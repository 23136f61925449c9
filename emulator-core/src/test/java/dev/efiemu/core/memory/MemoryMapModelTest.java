package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.efi.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The memory map against a page-by-page model of what UEFI §7.2 asks of AllocatePages, FreePages
 * and GetMemoryMap, under thousands of random calls: every call's address or status, the map as
 * maximal runs of equal pages (what the model says, descriptor by descriptor), the map key changing
 * exactly when the map does, and the allocation listener told of each new allocation.
 *
 * <p>Policy checked (edk2 on x64, docs/architecture.md "Memory"): AnyPages takes the top of the
 * highest free run below 4 GiB that fits, else the highest anywhere; MaxAddress the same below its
 * limit (inclusive, rounded down to a page); Address exactly there or NOT_FOUND.
 */
class MemoryMapModelTest {
    static final long P = MemoryMap.PAGE;
    static final int CONV = MemoryType.CONVENTIONAL.code();
    static final long HIGH = 0x100000000L / P; // first page at 4 GiB

    /** One page of the model: its type and whether the platform fixed it. */
    record Page(int type, boolean fixed) {}

    final TreeMap<Long, Page> model = new TreeMap<>();
    final MemoryMap map = new MemoryMap();
    final List<long[]> told = new ArrayList<>();

    void ram(long from, long to) {
        map.addRam(from * P, to * P);
        for (long p = from; p < to; p++) model.put(p, new Page(CONV, false));
    }

    void fixed(long from, long to, MemoryType t) {
        map.addFixed(from * P, to * P, t, MemoryMap.ATTR_RAM);
        for (long p = from; p < to; p++) model.put(p, new Page(t.code(), true));
    }

    MemoryMapModelTest() {
        ram(1, 200);
        fixed(200, 210, MemoryType.RESERVED);
        ram(210, 400);
        fixed(400, 401, MemoryType.ACPI_NVS); // adjacent to RAM on both sides
        ram(401, 600);
        // nothing described from page 600 to 4 GiB
        ram(HIGH, HIGH + 64);
        map.onAllocation((s, n) -> told.add(new long[] {s, n}));
    }

    boolean free(long p) {
        Page x = model.get(p);
        return x != null && x.type == CONV && !x.fixed;
    }

    /** Top-down: the highest run of free pages below {@code limitPage} holding {@code n}, at its top; -1 if none. */
    long modelTopDown(long n, long limitPage) {
        Long p = model.lowerKey(limitPage);
        while (p != null) {
            if (!free(p)) { p = model.lowerKey(p); continue; }
            long top = p + 1, q = p;
            while (free(q - 1)) q--;
            if (top - q >= n) return top - n;
            p = model.lowerKey(q);
        }
        return -1;
    }

    void modelSet(long from, long n, int type) {
        for (long p = from; p < from + n; p++) model.put(p, new Page(type, false));
    }

    /** The model as descriptors: maximal runs of contiguous pages with equal type and fixedness. */
    List<MemoryMap.Region> modelRegions() {
        List<MemoryMap.Region> out = new ArrayList<>();
        long runStart = -1, prev = -2;
        Page cur = null;
        for (var e : model.entrySet()) {
            if (cur != null && e.getKey() == prev + 1 && e.getValue().equals(cur)) {
                prev = e.getKey();
                continue;
            }
            if (cur != null) out.add(region(runStart, prev + 1 - runStart, cur));
            runStart = prev = e.getKey();
            cur = e.getValue();
        }
        if (cur != null) out.add(region(runStart, prev + 1 - runStart, cur));
        return out;
    }

    static MemoryMap.Region region(long page, long pages, Page x) {
        MemoryType t = MemoryType.of(x.type);
        long attr = t != null && t.runtime() ? MemoryMap.ATTR_RAM | MemoryMap.ATTR_RUNTIME : MemoryMap.ATTR_RAM;
        return new MemoryMap.Region(page * P, pages, x.type, attr, x.fixed);
    }

    void assertSameAsModel(String after) {
        assertEquals(modelRegions(), map.regions(), after);
    }

    @Test
    void randomCallsAgreeWithThePageModel() {
        Random r = new Random(17);
        int[] types = {MemoryType.LOADER_DATA.code(), MemoryType.LOADER_CODE.code(), MemoryType.BOOT_SERVICES_DATA.code(),
            MemoryType.RUNTIME_SERVICES_DATA.code(), MemoryType.RUNTIME_SERVICES_CODE.code(), MemoryType.ACPI_RECLAIM.code()};
        List<long[]> live = new ArrayList<>();
        assertSameAsModel("layout");
        for (int i = 0; i < 4000; i++) {
            long key = map.mapKey();
            int type = types[r.nextInt(types.length)];
            long n = 1 + (r.nextInt(4) == 0 ? r.nextInt(180) : r.nextInt(8));
            int op = r.nextInt(5);
            String what;
            boolean changed;
            told.clear();
            if (op == 0 || live.isEmpty() && op == 4) {
                what = "AnyPages " + n;
                long want = modelTopDown(n, HIGH);
                if (want < 0) want = modelTopDown(n, Long.MAX_VALUE);
                changed = check(what, want, Status.OUT_OF_RESOURCES, () -> map.allocate(MemoryMap.AllocateType.ANY_PAGES, type, n, 0));
                if (changed) { modelSet(want, n, type); live.add(new long[] {want, n}); }
            } else if (op == 1) {
                long max = r.nextInt(3) == 0 ? ((1 + r.nextInt(699)) * P) - 1 : (1 + r.nextInt(699)) * P + r.nextInt((int) P);
                what = String.format("MaxAddress %d below 0x%x", n, max);
                long want = modelTopDown(n, (max + 1) / P);
                changed = check(what, want, Status.NOT_FOUND, () -> map.allocate(MemoryMap.AllocateType.MAX_ADDRESS, type, n, max));
                if (changed) { modelSet(want, n, type); live.add(new long[] {want, n}); }
            } else if (op == 2) {
                long at = r.nextInt(4) == 0 ? HIGH + r.nextInt(70) : r.nextInt(620);
                boolean misaligned = r.nextInt(10) == 0;
                what = String.format("Address %d at page 0x%x%s", n, at, misaligned ? "+0x800" : "");
                boolean ok = !misaligned;
                for (long p = at; ok && p < at + n; p++) ok = free(p);
                long want = ok ? at : -1;
                changed = check(what, want, Status.NOT_FOUND,
                        () -> map.allocate(MemoryMap.AllocateType.ADDRESS, type, n, at * P + (misaligned ? 0x800 : 0)));
                if (changed) { modelSet(want, n, type); live.add(new long[] {want, n}); }
            } else if (op == 3 && !live.isEmpty() && r.nextBoolean()) {
                long[] a = live.remove(r.nextInt(live.size()));
                what = String.format("FreePages %d at page 0x%x", a[1], a[0]);
                map.free(a[0] * P, a[1]);
                modelSet(a[0], a[1], CONV);
                changed = true;
            } else {
                // FreePages of a range that is not entirely allocated: NOT_FOUND, nothing changes
                long at = r.nextInt(620), m = 1 + r.nextInt(6);
                boolean allocated = true;
                for (long p = at; allocated && p < at + m; p++) {
                    Page x = model.get(p);
                    allocated = x != null && x.type != CONV && !x.fixed;
                }
                what = String.format("FreePages %d at page 0x%x", m, at);
                if (allocated) {
                    map.free(at * P, m);
                    modelSet(at, m, CONV);
                    live.removeIf(a -> a[0] < at + m && at < a[0] + a[1]); // partly freed: forget it
                    changed = true;
                } else {
                    var e = assertThrows(AllocationException.class, () -> map.free(at * P, m), what);
                    assertEquals(Status.NOT_FOUND, e.status(), what);
                    changed = false;
                }
            }
            assertSameAsModel("after " + what);
            if (changed) assertTrue(map.mapKey() != key, "the map key changes: " + what);
            else assertEquals(key, map.mapKey(), "a refused call leaves the map key: " + what);
        }
    }

    /** Runs an allocation the model expects at page {@code want} (or to fail with {@code status} when -1). */
    boolean check(String what, long want, long status, java.util.function.LongSupplier call) {
        if (want < 0) {
            var e = assertThrows(AllocationException.class, call::getAsLong, what);
            assertEquals(status, e.status(), what);
            assertTrue(told.isEmpty(), what);
            return false;
        }
        assertEquals(want * P, call.getAsLong(), what);
        assertEquals(1, told.size(), "the listener is told once: " + what);
        assertEquals(want * P, told.get(0)[0], what);
        return true;
    }

    @Test
    void descriptorsAsGetMemoryMapReturnsThem() {
        long a = map.allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.RUNTIME_SERVICES_CODE.code(), 3, 20 * P);
        byte[] enc = map.encode();
        List<MemoryMap.Region> rs = map.regions();
        assertEquals(rs.size() * MemoryMap.DESCRIPTOR_SIZE, enc.length);
        ByteBuffer b = ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rs.size(); i++) {
            int o = i * MemoryMap.DESCRIPTOR_SIZE;
            MemoryMap.Region x = rs.get(i);
            assertEquals(x.type(), b.getInt(o), "Type");
            assertEquals(0, b.getInt(o + 4), "padding");
            assertEquals(x.start(), b.getLong(o + 8), "PhysicalStart");
            assertEquals(0, b.getLong(o + 16), "VirtualStart");
            assertEquals(x.pages(), b.getLong(o + 24), "NumberOfPages");
            assertEquals(x.attribute(), b.getLong(o + 32), "Attribute");
            assertEquals(0, b.getLong(o + 40), "the 8 bytes edk2 pads with");
        }
        MemoryMap.Region rt = map.find(a + 2 * P + 5);
        assertEquals(a, rt.start());
        assertEquals(3, rt.pages());
        assertEquals(MemoryMap.ATTR_RAM | MemoryMap.ATTR_RUNTIME, rt.attribute());
        assertEquals(null, map.find(600 * P), "nothing described there");
        assertEquals(null, map.find(0));
        assertEquals(600 * P, map.find(600 * P - 1).end(), "the last page of RAM below 4 GiB");
        assertEquals((HIGH + 64) * P, map.highestAddress());
        assertEquals((HIGH + 64) * P, map.highestRamAddress());
        assertEquals(List.of(map.find(199 * P), map.find(200 * P), map.find(210 * P)), map.regions(199 * P, 211 * P));
        assertEquals(List.of(map.find(200 * P)), map.regions(200 * P, 210 * P));
        assertEquals(List.of(), map.regions(600 * P, HIGH * P));
    }

    @Test
    void badRequests() {
        assertEquals(Status.INVALID_PARAMETER, assertThrows(AllocationException.class,
                () -> map.allocate(MemoryMap.AllocateType.ANY_PAGES, 2, 0, 0)).status(), "zero pages");
        assertEquals(Status.OUT_OF_RESOURCES, assertThrows(AllocationException.class,
                () -> map.allocate(MemoryMap.AllocateType.ANY_PAGES, 2, 1L << 52, 0)).status(), "a page count whose size overflows");
        assertEquals(Status.INVALID_PARAMETER, assertThrows(AllocationException.class, () -> map.free(20 * P + 1, 1)).status());
        assertEquals(Status.INVALID_PARAMETER, assertThrows(AllocationException.class, () -> map.free(20 * P, 0)).status());
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class, () -> map.free(Long.MAX_VALUE & -P, 2)).status(), "past the end of memory");
        assertEquals(Status.NOT_FOUND, assertThrows(AllocationException.class, () -> map.free(200 * P, 1)).status(), "a platform range");
        long key = map.mapKey();
        assertThrows(IllegalArgumentException.class, () -> map.addRam(150 * P, 250 * P), "overlaps RAM");
        assertThrows(IllegalArgumentException.class, () -> map.addRam(599 * P, 601 * P), "overlaps the end of RAM");
        assertThrows(IllegalArgumentException.class, () -> map.addRam(700 * P, 700 * P), "empty");
        assertThrows(IllegalArgumentException.class, () -> map.addRam(700 * P + 1, 701 * P), "unaligned start");
        assertThrows(IllegalArgumentException.class, () -> map.addRam(700 * P, 701 * P - 1), "unaligned end");
        assertEquals(key, map.mapKey());
        map.addRam(600 * P, 601 * P); // touching the end of RAM is fine
        assertTrue(key != map.mapKey());
        assertEquals(CONV, map.find(600 * P).type());
    }
}
