package dev.efiemu.core.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory map for a kexec hand-off on this host (docs/architecture.md, "Memory"): /proc/iomem
 * and /sys/firmware/memmap ranges as the kernel prints them, RAM rounded inwards to pages, page 0
 * and the crash kernel kept out of every allocation, ACPI ranges typed, and the host firmware's
 * runtime regions laid over the map as they are (one descriptor each, EFI_MEMORY_RUNTIME kept).
 */
class HostMemoryLayoutTest {
    static final String IOMEM = String.join("\n",
            "00000000-00000fff : Reserved",
            "00001000-0009fbff : System RAM",
            "0009fc00-0009ffff : Reserved",
            "000f0000-000fffff : Reserved",
            "  000f0000-000fffff : System ROM",
            "00100000-3ffdffff : System RAM",
            "  20000000-27ffffff : Crash kernel",
            "  01000000-01ffffff : Kernel code",
            "3ffe0000-3fffffff : ACPI Tables",
            "40000000-400fffff : ACPI Non-volatile Storage",
            "b0000000-bfffffff : PCI MMIO",
            "100000000-13fffffff : System RAM",
            "garbage line",
            "zz-10 : broken",
            "");

    @Test
    void iomemTopLevelAndNested() {
        List<HostMemoryLayout.Range> top = HostMemoryLayout.parseIomemTopLevel(IOMEM);
        assertEquals(9, top.size(), top.toString());
        assertEquals(new HostMemoryLayout.Range(0x1000, 0x9fc00, "System RAM"), top.get(1));
        assertTrue(top.get(1).ram());
        assertFalse(top.get(0).ram());
        assertEquals(new HostMemoryLayout.Range(0x100000000L, 0x140000000L, "System RAM"), top.get(8));
        assertEquals("100000-3ffdffff System RAM", top.get(4).toString());
        assertEquals(List.of(new HostMemoryLayout.Range(0x20000000, 0x28000000, "Crash kernel")), HostMemoryLayout.findIomem(IOMEM, "Crash kernel"));
        HostMemoryLayout.Range r = new HostMemoryLayout.Range(0x1000, 0x3000, "x");
        assertTrue(r.overlaps(0x2fff, 0x4000));
        assertFalse(r.overlaps(0x3000, 0x4000), "end exclusive");
        assertFalse(r.overlaps(0, 0x1000));
        assertTrue(r.overlaps(0, 0x1001));
        assertTrue(r.contains(0x1000, 0x3000));
        assertFalse(r.contains(0xfff, 0x3000));
        assertFalse(r.contains(0x1000, 0x3001));
    }

    @Test
    void mapForThisHost() {
        List<HostMemoryLayout.Range> top = HostMemoryLayout.parseIomemTopLevel(IOMEM);
        MemoryMap m = HostMemoryLayout.toMemoryMap(top, HostMemoryLayout.findIomem(IOMEM, "Crash kernel"));
        // RAM from 0x1000 to 0x9f000 (0x9fc00 rounded down); page 0 reserved as BS data, never allocated
        assertEquals(MemoryType.CONVENTIONAL.code(), m.find(0x1000).type());
        assertEquals(0x9f000, m.find(0x1000).end());
        assertEquals(MemoryType.RESERVED.code(), m.find(0x9f000).type(), "the reserved range rounded outwards");
        assertEquals(MemoryType.RESERVED.code(), m.find(0xf0000).type());
        // the crash kernel splits RAM and is fixed
        assertEquals(0x20000000, m.find(0x100000).end());
        MemoryMap.Region crash = m.find(0x20000000);
        assertEquals(MemoryType.RESERVED.code(), crash.type());
        assertTrue(crash.fixed());
        assertEquals(0x28000000, crash.end());
        assertEquals(MemoryType.CONVENTIONAL.code(), m.find(0x28000000).type());
        assertEquals(0x3ffe0000, m.find(0x28000000).end());
        assertEquals(MemoryType.ACPI_RECLAIM.code(), m.find(0x3ffe0000).type());
        assertEquals(MemoryType.ACPI_NVS.code(), m.find(0x40000000).type());
        assertEquals(MemoryType.RESERVED.code(), m.find(0xb0000000L).type());
        assertEquals(0x140000000L, m.highestRamAddress(), "RAM above 4 GiB counts");
        assertEquals(0x140000000L, m.highestAddress());
        long a = m.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.LOADER_DATA.code(), 0x8000, 0);
        assertTrue(a + 0x8000L * 4096 <= 0x20000000 || a >= 0x28000000, "nothing allocated in the crash kernel");
        // a host whose RAM starts at 0: page 0 is reserved for the allocator
        MemoryMap z = HostMemoryLayout.toMemoryMap(List.of(new HostMemoryLayout.Range(0, 0x100000, "System RAM")), List.of());
        assertEquals(MemoryType.BOOT_SERVICES_DATA.code(), z.find(0).type());
        assertTrue(z.find(0).fixed());
        assertEquals(0x1000, z.find(0x1000).start());
        // a crash kernel at the very start and one past the end of a RAM range
        MemoryMap c = HostMemoryLayout.toMemoryMap(List.of(new HostMemoryLayout.Range(0x100000, 0x200000, "System RAM")),
                List.of(new HostMemoryLayout.Range(0x100000, 0x110000, "Crash kernel"), new HostMemoryLayout.Range(0x1f0800, 0x300000, "Crash kernel")));
        assertEquals(MemoryType.RESERVED.code(), c.find(0x100000).type());
        assertEquals(0x110000, c.find(0x100000).end());
        assertEquals(0x1f0000, c.find(0x110000).end(), "RAM up to the page holding the second crash range's start");
        assertEquals(0x200000, c.find(0x1f0000).end(), "the hole stops at the end of the RAM range");
        // a non-RAM range that overlaps what is already described is left out
        MemoryMap o = HostMemoryLayout.toMemoryMap(List.of(new HostMemoryLayout.Range(0x100000, 0x200000, "System RAM"),
                new HostMemoryLayout.Range(0x1ff000, 0x201000, "Reserved")), List.of());
        assertEquals(MemoryType.CONVENTIONAL.code(), o.find(0x1ff000).type());
        assertNull(o.find(0x200000));
    }

    @Test
    void runtimeRegionsOverTheMap(@TempDir Path dir) throws Exception {
        // /sys/firmware/efi/runtime-map/N as Linux writes it
        int[][] rt = {{5, 0x3f000, 4}, {6, 0x3e000, 1}};
        for (int i = 0; i < rt.length; i++) {
            Path d = Files.createDirectories(dir.resolve("runtime-map/" + i));
            Files.writeString(d.resolve("type"), "0x" + Integer.toHexString(rt[i][0]) + "\n");
            Files.writeString(d.resolve("phys_addr"), "0x" + Integer.toHexString(rt[i][1]) + "\n");
            Files.writeString(d.resolve("num_pages"), "0x" + Integer.toHexString(rt[i][2]) + "\n");
            Files.writeString(d.resolve("virt_addr"), "0xfffffffeffe00000\n");
            Files.writeString(d.resolve("attribute"), "0x800000000000000f\n");
        }
        List<HostMemoryLayout.RuntimeRegion> regions = HostMemoryLayout.readRuntimeMap(dir.resolve("runtime-map"));
        assertEquals(2, regions.size());
        assertEquals(0x3e000, regions.get(0).phys(), "sorted by physical address");
        assertEquals(0x3f000 + 4 * 4096, regions.get(1).end());
        assertEquals(0x800000000000000fL, regions.get(1).attribute());
        assertEquals(0xfffffffeffe00000L, regions.get(1).virt());
        assertTrue(regions.get(1).containsPhys(0x3f000));
        assertTrue(regions.get(1).containsPhys(0x42fff));
        assertFalse(regions.get(1).containsPhys(0x43000));
        assertFalse(regions.get(1).containsPhys(0x3efff));
        assertTrue(regions.get(1).containsVirt(0xfffffffeffe03fffL));
        assertFalse(regions.get(1).containsVirt(0xfffffffeffe04000L));
        assertFalse(regions.get(1).containsVirt(0xfffffffeffdfffffL));
        assertEquals(List.of(), HostMemoryLayout.readRuntimeMap(dir.resolve("none")));

        MemoryMap m = HostMemoryLayout.toMemoryMap(List.of(new HostMemoryLayout.Range(0x1000, 0x9f000, "System RAM")), List.of(), regions);
        MemoryMap.Region code = m.find(0x3f000), data = m.find(0x3e000);
        assertEquals(5, code.type());
        assertEquals(0x3f000, code.start());
        assertEquals(4, code.pages());
        assertEquals(0x800000000000000fL, code.attribute());
        assertTrue(code.fixed());
        assertEquals(6, data.type());
        assertEquals(1, data.pages(), "adjacent runtime regions stay apart");
        assertEquals(0x3e000, m.find(0x3dfff).end(), "RAM below, cut at the region");
        assertEquals(0x43000, m.find(0x43000).start(), "RAM above, from the region's end");
        assertEquals(MemoryType.CONVENTIONAL.code(), m.find(0x43000).type());
        long key = m.mapKey();
        assertThrows(IllegalArgumentException.class, () -> m.overlay(0x3f800, 0x40000, 5, 0), "unaligned");
        long a = m.allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.LOADER_DATA.code(), 1, 0x50000);
        assertThrows(IllegalArgumentException.class, () -> m.overlay(0x50000, 0x51000, 5, 0), "over an allocation");
        assertEquals(a, m.find(0x50000).start());
        assertTrue(m.mapKey() != key);

        // /sys/firmware/memmap/N/{start,end,type}
        for (String[] e : new String[][] {{"0", "0x0", "0x9fbff", "System RAM"}, {"1", "0x100000", "0x3ffdffff", "System RAM"}, {"2", "0x9fc00", "0x9ffff", "Reserved"}}) {
            Path d = Files.createDirectories(dir.resolve("memmap/" + e[0]));
            Files.writeString(d.resolve("start"), e[1] + "\n");
            Files.writeString(d.resolve("end"), e[2] + "\n");
            Files.writeString(d.resolve("type"), e[3] + "\n");
        }
        List<HostMemoryLayout.Range> sys = HostMemoryLayout.readSysfs(dir.resolve("memmap"));
        assertEquals(List.of(new HostMemoryLayout.Range(0, 0x9fc00, "System RAM"), new HostMemoryLayout.Range(0x9fc00, 0xa0000, "Reserved"),
                new HostMemoryLayout.Range(0x100000, 0x3ffe0000, "System RAM")), sys);
        assertEquals(0xffL, HostMemoryLayout.parseHex("0XfF"));
        assertEquals(-1L, HostMemoryLayout.parseHex("ffffffffffffffff"));
    }

    static final String IOMEM_RESERVED_LATE = """
            00000000-00000fff : Reserved
            00001000-0009ffff : System RAM
            00100000-7cdd7fff : System RAM
              01000000-01ffffff : Kernel code
            7cdd8000-7cfeffff : Reserved
            7cff0000-7fffffff : System RAM
            c0000000-c0ffffff : PCI Bus 0000:00
              c0000000-c0ffffff : 0000:00:01.0
                c0000000-c012bfff : efifb
            """;

    /** RAM the running kernel reserved after boot (memmap says RAM, /proc/iomem does not) is kept out of allocations. */
    @Test
    void reservedSinceBootIsAvoided() {
        List<HostMemoryLayout.Range> firmware = List.of(new HostMemoryLayout.Range(0x1000, 0xa0000, "System RAM"),
                new HostMemoryLayout.Range(0x100000, 0x80000000L, "System RAM"));
        List<HostMemoryLayout.Range> late = HostMemoryLayout.reservedSinceBoot(firmware, IOMEM_RESERVED_LATE);
        assertEquals(List.of(new HostMemoryLayout.Range(0x7cdd8000L, 0x7cff0000L, "Reserved")), late);
        MemoryMap m = HostMemoryLayout.toMemoryMap(firmware, late);
        MemoryMap.Region r = m.find(0x7cdd8000L);
        assertEquals(MemoryType.RESERVED.code(), r.type());
        assertEquals(0x7cff0000L, r.end());
        // a block larger than the RAM above the reservation goes below it, never across it
        long pages = (0x80000000L - 0x7cff0000L) / MemoryMap.PAGE + 1;
        long a = m.allocate(MemoryMap.AllocateType.MAX_ADDRESS, MemoryType.LOADER_DATA.code(), pages, 0xffffffffL);
        assertEquals(0x7cdd8000L, a + pages * MemoryMap.PAGE);
    }
}
