package dev.efiemu.core.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The UEFI memory map and page allocator (UEFI spec §7.2: AllocatePages, FreePages, GetMemoryMap).
 * Covers the target machine's physical address space: RAM as Conventional memory, firmware and
 * payload allocations with their types, and the platform's reserved/MMIO ranges (which can never
 * be allocated or freed). Adjacent equal regions merge; every change bumps the map key.
 */
public final class MemoryMap {
    public static final long PAGE = 4096;
    /** EFI_MEMORY_UC | WC | WT | WB: what RAM supports (§7.2, EFI_MEMORY_DESCRIPTOR.Attribute). */
    public static final long ATTR_RAM = 0xf;
    public static final long ATTR_UC = 0x1;
    public static final long ATTR_RUNTIME = 0x8000000000000000L;
    /** Bytes per descriptor we hand out (edk2's size: 40 bytes of fields, 8 of padding). */
    public static final int DESCRIPTOR_SIZE = 48;
    public static final int DESCRIPTOR_VERSION = 1;

    /** How AllocatePages chooses (EFI_ALLOCATE_TYPE). */
    public enum AllocateType { ANY_PAGES, MAX_ADDRESS, ADDRESS }

    /**
     * One map entry.
     *
     * @param fixed set by the platform (reserved, MMIO, firmware image areas): never allocated or freed
     */
    public record Region(long start, long pages, int type, long attribute, boolean fixed) {
        public long end() {
            return start + pages * PAGE;
        }

        public String typeName() {
            MemoryType t = MemoryType.of(type);
            return t != null ? t.shortName() : String.format("0x%x", type);
        }
    }

    /** One AllocatePages (or pool page run) as the payload made it: the map merges neighbours of a type, this does not. */
    public record Allocation(long start, long size) {
        public long end() {
            return start + size;
        }
    }

    /** Told about every range that becomes allocated (so the engine can back it: {@link PhysicalBacking}). */
    public interface AllocationListener {
        void allocated(long start, long size);
    }

    private final TreeMap<Long, Region> regions = new TreeMap<>();
    /** Live allocations by start: AllocatePages adds one, FreePages removes or splits them. */
    private final TreeMap<Long, Long> allocations = new TreeMap<>();
    private long mapKey = 1;
    private long highest;
    private AllocationListener listener = (s, n) -> {};

    /** Sets the one listener told about allocations from now on. */
    public void onAllocation(AllocationListener l) {
        this.listener = l;
    }

    /** Adds RAM [start, end) as Conventional memory. */
    public void addRam(long start, long end) {
        put(new Region(start, pages(start, end), MemoryType.CONVENTIONAL.code(), ATTR_RAM, false));
    }

    /** Describes a platform range that is not allocatable RAM (reserved RAM, ACPI, MMIO). */
    public void addFixed(long start, long end, MemoryType type, long attribute) {
        put(new Region(start, pages(start, end), type.code(), attribute, true));
    }

    /**
     * Describes a platform range that replaces whatever the map said there (a host's EFI runtime
     * region, which its e820-derived map only knows as reserved), with the firmware's own type
     * and attribute; fixed: never allocated or freed.
     */
    public void overlay(long start, long end, int type, long attribute) {
        pages(start, end);
        List<Region> touched = regions(start, end);
        // all checked before anything changes: a refused overlay leaves the map as it was
        for (Region r : touched) {
            if (!r.fixed && r.type != MemoryType.CONVENTIONAL.code()) {
                throw new IllegalArgumentException(String.format("range 0x%x-0x%x overlaps an allocation %s", start, end, r));
            }
        }
        for (Region r : touched) {
            regions.remove(r.start);
            if (r.start < start) regions.put(r.start, withRange(r, r.start, start));
            if (r.end() > end) regions.put(end, withRange(r, end, r.end()));
        }
        regions.put(start, new Region(start, (end - start) / PAGE, type, attribute, true));
        highest = Math.max(highest, end);
        mapKey++;
    }

    private static long pages(long start, long end) {
        if ((start & (PAGE - 1)) != 0 || (end & (PAGE - 1)) != 0 || end <= start) {
            throw new IllegalArgumentException(String.format("bad range 0x%x-0x%x", start, end));
        }
        return (end - start) / PAGE;
    }

    private void put(Region r) {
        var below = regions.floorEntry(r.end() - 1);
        if (below != null && below.getValue().end() > r.start()) {
            throw new IllegalArgumentException(String.format("range 0x%x-0x%x overlaps %s", r.start(), r.end(), below.getValue()));
        }
        regions.put(r.start(), r);
        highest = Math.max(highest, r.end());
        mapKey++;
    }

    public long mapKey() {
        return mapKey;
    }

    /**
     * AllocatePages. Returns the base address, or throws {@link AllocationException} with the status
     * the spec requires (OUT_OF_RESOURCES, NOT_FOUND).
     */
    public long allocate(AllocateType how, int type, long pages, long address) {
        if (pages <= 0) throw AllocationException.invalid("zero pages");
        long size = pages * PAGE;
        if (size / PAGE != pages || size < 0) throw AllocationException.outOfResources();
        long base;
        switch (how) {
            case ADDRESS -> {
                if ((address & (PAGE - 1)) != 0) throw AllocationException.notFound();
                if (!isFree(address, size)) throw AllocationException.notFound();
                base = address;
            }
            case MAX_ADDRESS -> base = topDown(size, address);
            default -> {
                // Like edk2 on x64: prefer memory below 4 GiB, so the payload's structures stay
                // reachable through the hand-off's identity map of the low 4 GiB.
                long low;
                try {
                    low = topDown(size, 0xffffffffL);
                } catch (AllocationException e) {
                    low = topDown(size, -1L);
                }
                base = low;
            }
        }
        retype(base, size, type, false);
        allocations.put(base, size);
        return base;
    }

    /** The live allocations, ascending (for the hand-off's kept memory: {@code handoff.KeptMemory}). */
    public List<Allocation> allocations() {
        List<Allocation> out = new ArrayList<>();
        allocations.forEach((s, n) -> out.add(new Allocation(s, n)));
        return out;
    }

    private void forget(long start, long end) {
        var first = allocations.floorKey(start);
        for (var e : new ArrayList<>(allocations.tailMap(first == null ? start : first, true).entrySet())) {
            long s = e.getKey(), t = s + e.getValue();
            if (s >= end) break;
            if (t <= start) continue;
            allocations.remove(s);
            if (s < start) allocations.put(s, start - s);
            if (t > end) allocations.put(end, t - end);
        }
    }

    /** The highest free range of {@code size} bytes ending at or below {@code maxAddress} (inclusive, unsigned; -1 = none). */
    private long topDown(long size, long maxAddress) {
        // unsigned (UEFI's EFI_PHYSICAL_ADDRESS): a limit at or above 2^63 - 1 is above all memory
        long limit = maxAddress < 0 || maxAddress == Long.MAX_VALUE ? Long.MAX_VALUE : maxAddress + 1 & ~(PAGE - 1);
        for (Region r : regions.descendingMap().values()) {
            if (r.type != MemoryType.CONVENTIONAL.code() || r.fixed) continue;
            long top = Math.min(r.end(), limit);
            if (top - r.start >= size) return top - size;
        }
        throw maxAddress == -1L ? AllocationException.outOfResources() : AllocationException.notFound();
    }

    private boolean isFree(long start, long size) {
        if (start + size < start) return false; // past the end of the address space: the loop below would not run
        long at = start;
        while (at < start + size) {
            var e = regions.floorEntry(at);
            if (e == null) return false;
            Region r = e.getValue();
            if (r.end() <= at || r.type != MemoryType.CONVENTIONAL.code() || r.fixed) return false;
            at = r.end();
        }
        return true;
    }

    /** FreePages: the range must be allocated (not free, not a platform range). */
    public void free(long start, long pages) {
        long size = pages * PAGE;
        if ((start & (PAGE - 1)) != 0 || pages <= 0) throw AllocationException.invalid("unaligned or empty range");
        if (size / PAGE != pages || size < 0 || start + size < start) throw AllocationException.notFound(); // past the end of memory
        long at = start;
        while (at < start + size) {
            var e = regions.floorEntry(at);
            if (e == null || e.getValue().end() <= at) throw AllocationException.notFound();
            Region r = e.getValue();
            if (r.fixed || r.type == MemoryType.CONVENTIONAL.code()) throw AllocationException.notFound();
            at = r.end();
        }
        retype(start, size, MemoryType.CONVENTIONAL.code(), false);
        forget(start, start + size);
    }

    /** Marks [start, start+size) as {@code type}; the range must lie inside described memory. */
    public void retype(long start, long size, int type, boolean fixed) {
        long end = start + size;
        List<Region> touched = new ArrayList<>();
        var first = regions.floorKey(start);
        for (Map.Entry<Long, Region> e : regions.tailMap(first == null ? start : first, true).entrySet()) {
            if (e.getKey() >= end) break;
            if (e.getValue().end() > start) touched.add(e.getValue());
        }
        for (Region r : touched) {
            regions.remove(r.start);
            if (r.start < start) regions.put(r.start, withRange(r, r.start, start));
            if (r.end() > end) regions.put(end, withRange(r, end, r.end()));
        }
        long attr = MemoryType.of(type) != null && MemoryType.of(type).runtime() ? ATTR_RAM | ATTR_RUNTIME : ATTR_RAM;
        regions.put(start, new Region(start, size / PAGE, type, attr, fixed));
        merge();
        mapKey++;
        if (!fixed && type != MemoryType.CONVENTIONAL.code()) listener.allocated(start, size);
    }

    private static Region withRange(Region r, long start, long end) {
        return new Region(start, (end - start) / PAGE, r.type, r.attribute, r.fixed);
    }

    private void merge() {
        Region prev = null;
        List<Region> all = new ArrayList<>(regions.values());
        regions.clear();
        for (Region r : all) {
            // A host's runtime regions (fixed, EFI_MEMORY_RUNTIME) stay one descriptor each: each has its own virtual address.
            boolean keepApart = r.fixed && (r.attribute & ATTR_RUNTIME) != 0;
            if (prev != null && !keepApart && prev.end() == r.start && prev.type == r.type && prev.attribute == r.attribute && prev.fixed == r.fixed) {
                prev = new Region(prev.start, prev.pages + r.pages, r.type, r.attribute, r.fixed);
            } else {
                if (prev != null) regions.put(prev.start, prev);
                prev = r;
            }
        }
        if (prev != null) regions.put(prev.start, prev);
    }

    /** The region containing {@code address}, or null. */
    public Region find(long address) {
        var e = regions.floorEntry(address);
        return e != null && e.getValue().end() > address ? e.getValue() : null;
    }

    public List<Region> regions() {
        return List.copyOf(regions.values());
    }

    /** The regions that overlap [start, end), ascending. */
    public List<Region> regions(long start, long end) {
        List<Region> out = new ArrayList<>();
        var first = regions.floorKey(start);
        for (Region r : regions.tailMap(first == null ? start : first, true).values()) {
            if (r.start() >= end) break;
            if (r.end() > start) out.add(r);
        }
        return out;
    }

    /**
     * The end of the highest range that is RAM (free or allocated, ACPI memory included); reserved
     * and MMIO ranges above it do not count.
     */
    public long highestRamAddress() {
        long top = 0;
        for (Region r : regions.values()) {
            if (r.type != MemoryType.RESERVED.code() && r.type != MemoryType.MMIO.code() && r.type != MemoryType.MMIO_PORT_SPACE.code()) {
                top = Math.max(top, r.end());
            }
        }
        return top;
    }

    /** The end of the highest described range. */
    public long highestAddress() {
        return highest;
    }

    /** The map as EFI_MEMORY_DESCRIPTORs of {@link #DESCRIPTOR_SIZE} bytes each. */
    public byte[] encode() {
        var b = java.nio.ByteBuffer.allocate(regions.size() * DESCRIPTOR_SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        for (Region r : regions.values()) {
            int o = i++ * DESCRIPTOR_SIZE;
            b.putInt(o, r.type);
            b.putLong(o + 8, r.start);
            b.putLong(o + 16, 0);
            b.putLong(o + 24, r.pages);
            b.putLong(o + 32, r.attribute);
        }
        return b.array();
    }

    /** Bytes the pages of each type take, for summaries. */
    public Map<String, Long> bytesByType() {
        Map<String, Long> m = new TreeMap<>();
        for (Region r : regions.values()) m.merge(r.typeName(), r.pages * PAGE, Long::sum);
        return m;
    }
}
