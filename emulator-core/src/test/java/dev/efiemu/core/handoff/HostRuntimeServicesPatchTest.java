package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.HostMemoryLayout.RuntimeRegion;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The hand-off's patch for the host's runtime services, field by field (Linux
 * arch/x86/include/uapi/asm/bootparam.h, efi_info and setup_data; arch/x86/platform/efi
 * kexec_enter_virtual_mode): boot_params found by efi_info's "EL64" and our system table (split
 * in two 32-bit halves), each descriptor of the map it points at given its VirtualStart, the
 * system table's RuntimeServices swapped, EFI_RT_PROPERTIES_TABLE dropped, and a SETUP_EFI node
 * put at the head of the setup_data list. The session's HostRuntimeServicesTest boots it for real.
 */
class HostRuntimeServicesPatchTest {
    static final long VIRT = 0xfffffffeffe00000L;

    @Test
    void patchesBootParamsMapSystemTableAndSetupData() {
        try (Firmware fw = new Firmware(MachineConfig.defaults(), PeImageFile::parse)) {
            GuestMemory mem = fw.memory();
            MemoryMap map = fw.machine().memoryMap();
            long systab = fw.tables().systemTable();
            fw.tables().installConfigTable(Guids.RT_PROPERTIES_TABLE, 0x1234000);
            // a decoy page first: EL64 but another system table
            long pages = map.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.LOADER_DATA.code(), 3, 0);
            long decoy = pages, bp = pages + 0x1000, desc = pages + 0x2000;
            mem.u32(decoy + 0x1c0, 0x34364c45L);
            mem.u32(decoy + 0x1c4, systab + 0x1000);
            // the EFI memory map (48-byte descriptors): RT code in the host's region, then loader data
            long[][] d = {{5, 0x3f000, 4}, {5, 0x43000, 1}, {2, pages, 3}};
            for (int i = 0; i < d.length; i++) {
                mem.u32(desc + 48L * i, d[i][0]);
                mem.u64(desc + 48L * i + 8, d[i][1]);
                mem.u64(desc + 48L * i + 16, 0xdead);
                mem.u64(desc + 48L * i + 24, d[i][2]);
            }
            mem.u32(bp + 0x1c0, 0x34364c45L);          // efi_loader_signature "EL64"
            mem.u32(bp + 0x1c4, systab & 0xffffffffL);   // efi_systab
            mem.u32(bp + 0x1d8, systab >>> 32);          // efi_systab_hi
            mem.u32(bp + 0x1c8, 48);                     // efi_memdesc_size
            mem.u32(bp + 0x1d0, desc & 0xffffffffL);     // efi_memmap
            mem.u32(bp + 0x1dc, desc >>> 32);            // efi_memmap_hi
            mem.u32(bp + 0x1d4, 48 * 3);                 // efi_memmap_size
            mem.u64(bp + 0x250, 0x777000);               // setup_data list head
            long fwVendor = mem.u64(systab + 24);

            HandoffState state = new HandoffState(Map.of(), map.regions(), Map.of(), systab);
            assertEquals(bp, HostRuntimeServices.findBootParams(mem, map.regions(), systab));
            assertEquals(0, HostRuntimeServices.findBootParams(mem, map.regions(), systab + 8), "another system table");
            HostRuntimeServices.Host host = new HostRuntimeServices.Host(0xfffffffeffe40000L,
                    List.of(new RuntimeRegion(5, 0x3f000, 4, VIRT, MemoryMap.ATTR_RUNTIME | 0xf)));
            HostRuntimeServices.Result r = HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host);

            assertEquals(bp, r.bootParams());
            assertEquals(3, r.descriptors());
            assertEquals(VIRT, mem.u64(desc + 16), "the region's start at its virtual address");
            assertEquals(0x43000, mem.u64(desc + 48 + 16), "a descriptor outside every region (right after it): 1:1");
            assertEquals(pages, mem.u64(desc + 96 + 16));
            assertEquals(0xfffffffeffe40000L, mem.u64(systab + 88), "RuntimeServices");
            assertNull(fw.tables().configTables().get(Guids.RT_PROPERTIES_TABLE), "EFI_RT_PROPERTIES_TABLE dropped");
            long node = fw.trampoline().base() + Trampoline.SPARE;
            assertEquals(node, r.setupData());
            assertEquals(node, mem.u64(bp + 0x250), "the node heads the setup_data list");
            assertEquals(0x777000, mem.u64(node), "next: the old head");
            assertEquals(4, mem.u32(node + 8), "SETUP_EFI");
            assertEquals(96, mem.u32(node + 12), "len of struct efi_setup_data");
            assertEquals(fwVendor, mem.u64(node + 16), "fw_vendor");
            assertEquals(0, mem.u64(node + 24));
            assertEquals(fw.tables().configArray(), mem.u64(node + 32), "tables");
            assertEquals(0, mem.u64(node + 40), "smbios");
            for (int i = 48; i < 16 + 96; i += 8) assertEquals(0, mem.u64(node + i), "reserved at " + i);

            // a region that starts mid-descriptor: the offset is carried over
            mem.u64(desc + 8, 0x40000);
            HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host);
            assertEquals(VIRT + 0x1000, mem.u64(desc + 16));

            // efi_info that describes no usable map
            mem.u32(bp + 0x1c8, 36);
            assertThrows(IllegalStateException.class, () -> HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host));
            mem.u32(bp + 0x1c8, 48);
            mem.u32(bp + 0x1d4, 48 * 3 - 1);
            assertThrows(IllegalStateException.class, () -> HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host));
            mem.u32(bp + 0x1d4, 48 * 3);
            mem.u32(bp + 0x1d0, 0);
            mem.u32(bp + 0x1dc, 0);
            assertThrows(IllegalStateException.class, () -> HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host));

            // no boot_params at all: nothing happens
            mem.u32(bp + 0x1c0, 0);
            long rt = mem.u64(systab + 88);
            assertNull(HostRuntimeServices.apply(mem, fw.tables(), fw.trampoline(), state, host));
            assertEquals(rt, mem.u64(systab + 88));
        }
    }
}
