package dev.efiemu.core.handoff;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.HostMemoryLayout.RuntimeRegion;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.SystemTables;
import java.util.List;

/**
 * Keeps the host firmware's EFI runtime services working in the Linux kernel a kexec hand-off
 * boots, the way a kexec-tools kexec does.
 *
 * <p>The running kernel has already switched the host firmware to virtual mode
 * (SetVirtualAddressMap can be called once per boot), so the next kernel must not try again: it
 * must reuse the virtual addresses the first kernel chose. Linux does that when boot_params carries
 * a SETUP_EFI setup_data node (arch/x86/platform/efi: efi_systab_init, kexec_enter_virtual_mode):
 * it then maps every descriptor of the EFI memory map at its VirtualStart, takes the runtime
 * services table pointer from the system table as a virtual address, and takes the firmware vendor
 * and configuration tables from the node. So, at the hand-off, after the payload's EFI stub has
 * filled boot_params and before it continues:
 * <ol>
 *   <li>boot_params is found, page-aligned, in loader memory (the stub allocates it as LoaderData;
 *       some stubs keep it in their image's .bss): efi_info's "EL64" signature and its system table
 *       being ours (newer stubs no longer copy the setup header, so "HdrS" is not looked for);
 *   <li>in the memory map efi_info points at (the one the stub passed to ExitBootServices, which
 *       already describes the host's runtime regions with their types and attributes), each
 *       runtime region gets the virtual address the running kernel gave it
 *       (/sys/firmware/efi/runtime-map) and every other descriptor VirtualStart = PhysicalStart, so
 *       the 1:1 mappings the next kernel makes are harmless;
 *   <li>our system table's RuntimeServices points at the host's runtime services table (its virtual
 *       address); our EFI_RT_PROPERTIES_TABLE, which says "nothing supported" about our own stubs,
 *       is removed;
 *   <li>a SETUP_EFI node (fw_vendor and tables: ours, physical; smbios 0: our table already holds
 *       a physical address) in the trampoline's spare room is put at the head of the setup_data list.
 * </ol>
 */
public final class HostRuntimeServices {
    static final int SETUP_EFI = 4;
    static final int EFI_SETUP_DATA_SIZE = 12 * 8; // fw_vendor, __unused, tables, smbios, reserved[8]
    // boot_params offsets (Documentation/arch/x86/zero-page.rst, boot.rst)
    static final int EFI_INFO = 0x1c0, SETUP_DATA = 0x250;
    static final long EL64 = 0x34364c45L;

    /**
     * The host's runtime services as its running kernel describes them.
     *
     * @param runtimeTable the runtime services table's virtual address (as the firmware converted it)
     * @param regions      the runtime regions with their virtual addresses
     */
    public record Host(long runtimeTable, List<RuntimeRegion> regions) {}

    /** What was done, for the summary. */
    public record Result(long bootParams, int descriptors, long setupData) {}

    private HostRuntimeServices() {}

    /** Finds the payload's boot_params (page-aligned, in LoaderCode or LoaderData); 0 when the payload is not a Linux EFI stub that set one up. */
    public static long findBootParams(GuestMemory mem, List<MemoryMap.Region> map, long systemTable) {
        for (MemoryMap.Region r : map) {
            if (r.type() != MemoryType.LOADER_DATA.code() && r.type() != MemoryType.LOADER_CODE.code()) continue;
            for (long p = r.start(); p + MemoryMap.PAGE <= r.end(); p += MemoryMap.PAGE) {
                if (mem.u32(p + EFI_INFO) != EL64) continue;
                long systab = mem.u32(p + EFI_INFO + 4) | mem.u32(p + EFI_INFO + 0x18) << 32;
                if (systab == systemTable) return p;
            }
        }
        return 0;
    }

    /**
     * Patches the frozen machine (call before {@link Handoff#capture}).
     *
     * @return what was patched, or null when no Linux boot_params was found (then nothing changed)
     */
    public static Result apply(GuestMemory mem, SystemTables tables, Trampoline trampoline, HandoffState state, Host host) {
        long systab = tables.systemTable();
        long bp = findBootParams(mem, state.memoryMap(), systab);
        if (bp == 0) return null;
        long efi = bp + EFI_INFO;
        long memmap = mem.u32(efi + 0x10) | mem.u32(efi + 0x1c) << 32;
        long size = mem.u32(efi + 0x14);
        long descSize = mem.u32(efi + 8);
        if (memmap == 0 || descSize < 40 || size % descSize != 0) {
            throw new IllegalStateException(String.format("boot_params at 0x%x: efi_info describes no usable memory map", bp));
        }
        int n = (int) (size / descSize);
        for (int i = 0; i < n; i++) {
            long d = memmap + i * descSize;
            long phys = mem.u64(d + 8);
            long virt = phys;
            for (RuntimeRegion r : host.regions()) {
                if (r.containsPhys(phys)) {
                    virt = r.virt() + (phys - r.phys());
                    break;
                }
            }
            mem.u64(d + 16, virt);
        }
        tables.installConfigTable(Guids.RT_PROPERTIES_TABLE, 0);
        mem.u64(systab + 88, host.runtimeTable()); // EFI_SYSTEM_TABLE.RuntimeServices
        tables.updateCrc(systab);
        long node = trampoline.base() + Trampoline.SPARE;
        mem.fill(node, 16 + EFI_SETUP_DATA_SIZE, 0);
        mem.u64(node, mem.u64(bp + SETUP_DATA));
        mem.u32(node + 8, SETUP_EFI);
        mem.u32(node + 12, EFI_SETUP_DATA_SIZE);
        mem.u64(node + 16, mem.u64(systab + 24)); // fw_vendor
        mem.u64(node + 32, tables.configArray()); // tables
        mem.u64(bp + SETUP_DATA, node);
        return new Result(bp, n, node);
    }
}
