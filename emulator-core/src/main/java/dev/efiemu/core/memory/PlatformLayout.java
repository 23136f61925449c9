package dev.efiemu.core.memory;

/**
 * The physical address layout of the target machine. Default: what QEMU q35 with SeaBIOS gives a
 * PVH guest (SeaBIOS's e820; docs/architecture.md, "Memory"), so the hand-off image boots there:
 * low RAM below 0x9fc00, the legacy hole and BIOS area, RAM from 1 MiB to 128 KiB below the top of
 * low memory, the PCIe ECAM window, the TPM/chipset range and the flash below 4 GiB.
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
}
