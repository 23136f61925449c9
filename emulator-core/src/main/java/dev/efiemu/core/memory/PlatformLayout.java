package dev.efiemu.core.memory;

/**
 * The physical address layout of the target machine. x86_64 default: what QEMU q35 with SeaBIOS gives a
 * PVH guest (SeaBIOS's e820; docs/architecture.md, "Memory"), so the hand-off image boots there:
 * low RAM below 0x9fc00, the legacy hole and BIOS area, RAM from 1 MiB to 128 KiB below the top of
 * low memory, the PCIe ECAM window, the TPM/chipset range and the flash below 4 GiB. AArch64
 * default: QEMU's {@code virt} machine, RAM from 0x40000000 ({@link #virt}), or the RAM a device
 * tree describes ({@link #arm64}).
 */
public final class PlatformLayout {
    private PlatformLayout() {}

    public static MemoryMap q35(long ramBytes) {
        if (ramBytes < (64L << 20)) throw new IllegalArgumentException("need at least 64 MiB of RAM");
        if (ramBytes > (2L << 30)) throw new IllegalArgumentException("the q35 layout supports up to 2 GiB for now");
        MemoryMap m = new MemoryMap();
        // Page 0 is never handed out: NULL dereferences must fault (edk2's NULL pointer detection).
        m.addFixed(0, 0x1000, MemoryType.BOOT_SERVICES_DATA, MemoryMap.ATTR_RAM);
        m.addRam(0x1000, 0x9f000);
        // SeaBIOS reserves 0x9fc00-0x9ffff (EBDA); page granularity makes it 0x9f000.
        m.addFixed(0x9f000, 0xa0000, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        m.addFixed(0xf0000, 0x100000, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        long top = ramBytes - 0x20000;
        // SeaBIOS writes its tables into the top of usable RAM after QEMU loaded the image
        // (0x3efdf000-0x3f000000 with 1 GiB): never place anything there. Boot-services data
        // to the payload, so the kernel may reuse it once running.
        long biosLo = ramBytes - 0x1021000, biosHi = ramBytes - 0x1000000;
        m.addRam(0x100000, biosLo);
        m.addFixed(biosLo, biosHi, MemoryType.BOOT_SERVICES_DATA, MemoryMap.ATTR_RAM);
        m.addRam(biosHi, top);
        m.addFixed(top, ramBytes, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
        m.addFixed(0xb0000000L, 0xc0000000L, MemoryType.MMIO, MemoryMap.ATTR_UC | MemoryMap.ATTR_RUNTIME);
        m.addFixed(0xfed1c000L, 0xfed20000L, MemoryType.MMIO, MemoryMap.ATTR_UC | MemoryMap.ATTR_RUNTIME);
        m.addFixed(0xfffc0000L, 0x100000000L, MemoryType.MMIO, MemoryMap.ATTR_UC | MemoryMap.ATTR_RUNTIME);
        return m;
    }

    /** Where QEMU virt's RAM starts. */
    public static final long VIRT_RAM = 0x40000000L;
    /**
     * The start of an AArch64 machine's RAM kept out of the allocator: QEMU writes its own device
     * tree there (up to 1 MiB, after it loaded the hand-off ELF) when the ELF leaves room; typed
     * boot-services data, so the kernel may reuse it, and never captured.
     */
    public static final long ARM64_DTB_AREA = 2L << 20;

    /** QEMU {@code -M virt} with {@code ramBytes} of RAM: one bank at 0x40000000 (hw/arm/virt.c's memmap). */
    public static MemoryMap virt(long ramBytes) {
        if (ramBytes < (64L << 20)) throw new IllegalArgumentException("need at least 64 MiB of RAM");
        return arm64(java.util.List.of(new long[] {VIRT_RAM, VIRT_RAM + ramBytes}), java.util.List.of());
    }

    /**
     * An AArch64 machine from its RAM banks and reserved ranges ({start, end} pairs, as a device
     * tree gives them): RAM is conventional memory but for the first {@link #ARM64_DTB_AREA} of
     * the lowest bank; reserved ranges inside RAM are reserved memory. Ranges are rounded to pages
     * (RAM inwards, reservations outwards).
     */
    public static MemoryMap arm64(java.util.List<long[]> ram, java.util.List<long[]> reserved) {
        MemoryMap m = new MemoryMap();
        java.util.List<long[]> banks = new java.util.ArrayList<>();
        for (long[] r : ram) {
            long s = (r[0] + MemoryMap.PAGE - 1) & -MemoryMap.PAGE, e = r[1] & -MemoryMap.PAGE;
            if (e > s) banks.add(new long[] {s, e});
        }
        if (banks.isEmpty()) throw new IllegalArgumentException("no RAM");
        banks.sort((a, b) -> Long.compare(a[0], b[0]));
        for (long[] b : banks) m.addRam(b[0], b[1]);
        long[] low = banks.get(0);
        m.overlay(low[0], Math.min(low[1], low[0] + ARM64_DTB_AREA), MemoryType.BOOT_SERVICES_DATA.code(), MemoryMap.ATTR_RAM);
        for (long[] r : reserved) {
            long s = r[0] & -MemoryMap.PAGE, e = (r[1] + MemoryMap.PAGE - 1) & -MemoryMap.PAGE;
            for (long[] b : banks) {
                long from = Math.max(s, b[0]), to = Math.min(e, b[1]);
                if (from < to) m.overlay(from, to, MemoryType.RESERVED.code(), MemoryMap.ATTR_RAM);
            }
        }
        return m;
    }
}
