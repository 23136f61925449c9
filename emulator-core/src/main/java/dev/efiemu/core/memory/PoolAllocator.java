package dev.efiemu.core.memory;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * AllocatePool/FreePool (UEFI spec §7.2) on top of the page allocator. Small requests share
 * 64 KiB arenas of their memory type (first fit, 8-byte aligned as §7.2 requires, we give 16);
 * large ones get pages of their own. Allocations are tracked host-side: the guest cannot corrupt
 * the allocator, and FreePool of a pointer never returned by AllocatePool is an error.
 */
public final class PoolAllocator {
    static final long ARENA = 64 * 1024;
    static final long ALIGN = 16;
    static final long LARGE = 16 * 1024;
    static final long MAX = 1L << 48;

    private final MemoryMap map;
    /** Live allocations: address -> size (0 marks a page-backed one, whose pages come from pageBacked). */
    private final Map<Long, Long> live = new HashMap<>();
    private final Map<Long, Long> pageBacked = new HashMap<>();
    private final Map<Long, Integer> typeOf = new HashMap<>();
    /** Free space per type: start -> size. */
    private final Map<Integer, TreeMap<Long, Long>> free = new HashMap<>();
    /** The firmware's own structures (tables, interfaces, handles, events): FreePool from the guest refuses them. */
    private final java.util.Set<Long> pinned = new java.util.HashSet<>();

    public PoolAllocator(MemoryMap map) {
        this.map = map;
    }

    public long allocate(int type, long size) {
        if (!MemoryType.allocatable(type)) throw AllocationException.invalid("bad memory type " + type);
        if (size < 0 || size > MAX) throw AllocationException.outOfResources(); // more than any machine's RAM (and no wrap-around)
        long need = Math.max(ALIGN, (size + ALIGN - 1) & -ALIGN);
        if (need >= LARGE) {
            long pages = (need + MemoryMap.PAGE - 1) / MemoryMap.PAGE;
            long base = map.allocate(MemoryMap.AllocateType.ANY_PAGES, type, pages, 0);
            pageBacked.put(base, pages);
            live.put(base, size);
            typeOf.put(base, type);
            return base;
        }
        TreeMap<Long, Long> holes = free.computeIfAbsent(type, t -> new TreeMap<>());
        for (Map.Entry<Long, Long> h : holes.entrySet()) {
            long at = h.getKey(), len = h.getValue(); // read before removing: TreeMap reuses entry nodes
            if (len >= need) {
                holes.remove(at);
                if (len > need) holes.put(at + need, len - need);
                live.put(at, need);
                typeOf.put(at, type);
                return at;
            }
        }
        long arena = map.allocate(MemoryMap.AllocateType.ANY_PAGES, type, ARENA / MemoryMap.PAGE, 0);
        holes.put(arena + need, ARENA - need);
        live.put(arena, need);
        typeOf.put(arena, type);
        return arena;
    }

    /** An allocation the guest's FreePool can never release: one of the firmware's own structures. */
    public long allocatePinned(int type, long size) {
        long a = allocate(type, size);
        pinned.add(a);
        return a;
    }

    /**
     * The firmware gives back one of its own allocations ({@link #allocatePinned}): what it made
     * for an image it unloads, a buffer it used for a call. False if {@code address} is not one.
     */
    public boolean freePinned(long address) {
        if (!pinned.remove(address)) return false;
        return free(address);
    }

    /** @return false if {@code address} is not a live pool allocation, or is one of the firmware's own */
    public boolean free(long address) {
        if (pinned.contains(address)) return false;
        Long size = live.remove(address);
        if (size == null) return false;
        int type = typeOf.remove(address);
        Long pages = pageBacked.remove(address);
        if (pages != null) {
            map.free(address, pages);
            return true;
        }
        TreeMap<Long, Long> holes = free.get(type);
        long start = address, len = size;
        var next = holes.ceilingEntry(start);
        if (next != null && next.getKey() == start + len) {
            len += next.getValue();
            holes.remove(next.getKey());
        }
        var prev = holes.floorEntry(start);
        if (prev != null && prev.getKey() + prev.getValue() == start) {
            start = prev.getKey();
            len += prev.getValue();
        }
        holes.put(start, len);
        return true;
    }

    public boolean isLive(long address) {
        return live.containsKey(address);
    }
}
