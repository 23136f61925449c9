package dev.efiemu.core.memory;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Perm;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Backs guest-physical memory in the engine only where the firmware or the payload owns it.
 *
 * <p>The memory map describes the whole target machine (for kexec: every byte of the host's RAM,
 * its reserved ranges, an AMD host's 12 GiB HyperTransport hole at 1 TiB), but a run only ever
 * uses what it allocates: tables, stubs, the stack, images, the kernel the stub decompresses, the
 * initrd. Mapping all of it would reserve as much memory as the host has, which the kernel refuses
 * once it exceeds what is free. So RAM is mapped into the engine on allocation, in
 * {@value #GRANULE_MIB} MiB granules clipped to RAM (never a reserved, ACPI or MMIO range, never
 * page 0, which stays unmapped so NULL dereferences fault): the engine's memory, and with it
 * efiemu's resident size, follows what the run allocates, not how big the host is. Memory the
 * payload touches without allocating it faults, as it should.
 */
public final class PhysicalBacking {
    static final int GRANULE_MIB = 2;
    public static final long GRANULE = (long) GRANULE_MIB << 20;

    private final Cpu cpu;
    private final MemoryMap map;
    private final Set<Long> granules = new HashSet<>();
    private long bytes;

    public PhysicalBacking(Cpu cpu, MemoryMap map) {
        this.cpu = cpu;
        this.map = map;
    }

    /** Makes [start, start+size) usable by the guest: maps every granule it touches that is not mapped yet. */
    public void ensure(long start, long size) {
        if (size <= 0) return;
        List<long[]> pieces = new ArrayList<>();
        for (long g = start / GRANULE; g <= (start + size - 1) / GRANULE; g++) {
            if (!granules.add(g)) continue;
            long gs = g * GRANULE, ge = gs + GRANULE;
            for (MemoryMap.Region r : map.regions(gs, ge)) {
                if (r.fixed()) continue;
                long s = Math.max(gs, r.start()), e = Math.min(ge, r.end());
                long[] last = pieces.isEmpty() ? null : pieces.get(pieces.size() - 1);
                if (last != null && last[1] == s) last[1] = e;
                else pieces.add(new long[] {s, e});
            }
        }
        for (long[] p : pieces) {
            cpu.map(p[0], p[1] - p[0], Perm.ALL);
            bytes += p[1] - p[0];
        }
    }

    /** Bytes mapped into the engine so far. */
    public long bytes() {
        return bytes;
    }
}
