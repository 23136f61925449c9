package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handoff.HostRuntimeServices;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Passing a host's EFI runtime services on (the lab proves the next kernel uses them; this pins
 * what is written): the UKI runs on a memory map that has two host runtime regions, and the frozen
 * machine is patched the way Linux's kexec path reads it.
 */
class HostRuntimeServicesTest {
    static final long RT_CODE = 0x3ec00000L, RT_DATA = 0x3ec10000L; // inside q35 RAM with 1 GiB
    static final long VIRT = 0xfffffffeff000000L;

    @Test
    void theStubsBootParamsCarrySetupEfiAndTheRuntimeRegionsTheirVirtualAddresses(@TempDir Path tmp) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path iomem = tmp.resolve("iomem");
        Files.writeString(iomem, "00001000-0009efff : System RAM\n00100000-3fffffff : System RAM\n");
        List<HostMemoryLayout.RuntimeRegion> regions = List.of(
                new HostMemoryLayout.RuntimeRegion(5, RT_CODE, 16, VIRT, MemoryMap.ATTR_RUNTIME | 0xf),
                new HostMemoryLayout.RuntimeRegion(6, RT_DATA, 16, VIRT + 0x100000, MemoryMap.ATTR_RUNTIME | 0xf));
        HostRuntimeServices.Host host = new HostRuntimeServices.Host(VIRT + 0x100000 + 0x80, regions);
        BootRequest req = BootRequest.of(fx.uki()).withSeed(1L).withMemmap(iomem.toString());
        // the layout a kexec uses on this host: its RAM, plus the firmware's runtime regions as they are
        var ranges = HostMemoryLayout.parseIomemTopLevel(Files.readString(iomem));
        try (BootSession s = BootSession.open(req, () -> HostMemoryLayout.toMemoryMap(ranges, List.of(), regions))) {
            BootReport r = s.run();
            assertTrue(r.reachedExitBootServices(), r.outcome().message());
            var fw = s.firmware();
            GuestMemory mem = fw.memory();
            long systab = fw.tables().systemTable();
            assertTrue(fw.tables().configTables().containsKey(Guids.RT_PROPERTIES_TABLE));
            HostRuntimeServices.Result[] done = new HostRuntimeServices.Result[1];
            s.handoff(HostTables.none(), host, x -> done[0] = x);
            assertNotNull(done[0], "boot_params found");
            long bp = done[0].bootParams();
            // SETUP_EFI heads the setup_data list: type 4, fw_vendor and tables are ours (physical)
            long node = mem.u64(bp + 0x250);
            assertEquals(done[0].setupData(), node);
            assertEquals(4, mem.u32(node + 8));
            assertEquals(96, mem.u32(node + 12));
            assertEquals(mem.u64(systab + 24), mem.u64(node + 16));
            assertEquals(fw.tables().configArray(), mem.u64(node + 32));
            assertEquals(0, mem.u64(node + 40), "smbios 0: our table already holds a physical address");
            // the system table points at the host's runtime services table; our RT properties table is gone
            assertEquals(host.runtimeTable(), mem.u64(systab + 88));
            assertFalse(fw.tables().configTables().containsKey(Guids.RT_PROPERTIES_TABLE));
            assertEquals(fw.tables().configTables().size(), mem.u64(systab + 104));
            // the memory map the kernel gets: runtime regions at their virtual addresses, the rest 1:1
            long memmap = mem.u32(bp + 0x1d0) | mem.u32(bp + 0x1dc) << 32;
            int n = (int) (mem.u32(bp + 0x1d4) / mem.u32(bp + 0x1c8));
            assertEquals(done[0].descriptors(), n);
            int runtime = 0;
            for (int i = 0; i < n; i++) {
                long d = memmap + i * mem.u32(bp + 0x1c8);
                long phys = mem.u64(d + 8), virt = mem.u64(d + 16);
                if (phys == RT_CODE) {
                    assertEquals(5, mem.u32(d));
                    assertEquals(VIRT, virt);
                    runtime++;
                } else if (phys == RT_DATA) {
                    assertEquals(VIRT + 0x100000, virt);
                    assertNotEquals(0, mem.u64(d + 32) & MemoryMap.ATTR_RUNTIME);
                    runtime++;
                } else {
                    assertEquals(phys, virt, String.format("descriptor at 0x%x", phys));
                }
            }
            assertEquals(2, runtime, "both host runtime regions are in the map, one descriptor each");
        }
    }
}
