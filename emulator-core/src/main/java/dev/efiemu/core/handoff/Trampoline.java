package dev.efiemu.core.handoff;

import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The hand-off trampoline (source: emulator-core/src/main/asm/trampoline.S) with its data block
 * and identity page tables, in RuntimeServicesCode below 4 GiB so the kernel leaves it alone.
 * Reserved when the machine is built; its data block is filled at ExitBootServices.
 *
 * <pre>
 *   +0x0000 code: entry32 (PVH, 32-bit, paging off), +0x10 entry64 (kexec)
 *   +0x0200 data: saved RAX RBX RCX RDX RSI RDI RBP RSP R8..R15 (0x00-0x78), RFLAGS 0x80, CR3 0x88,
 *                 host SMBIOS 0x90, ACPI20 slot 0x98, SMBIOS slot 0xa0, host RSDP 0xa8, GDTR 0xb0,
 *                 GDT 0xc0 (0x08 64-bit code, 0x10 data, 0x18 32-bit code)
 *   +0x0800 spare (up to 0xe00): a Linux setup_data node when the host's runtime services are passed on
 *   +0x0ff0 top of the trampoline's own stack (kexec enters with the old kernel's, maybe above 4 GiB)
 *   +0x1000 PML4, +0x2000 PDPT, +0x3000... one page directory per GiB mapped, 2 MiB pages
 * </pre>
 */
public final class Trampoline {
    public static final int ENTRY32 = 0, ENTRY64 = 0x10, DATA = 0x200;
    /** Spare room in the trampoline's page for data the hand-off adds for the next kernel (a setup_data node). */
    public static final int SPARE = 0x800, SPARE_SIZE = 0x600;
    static final String[] SAVED = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"};
    private static final long GDT_CODE64 = 0x00af9a000000ffffL, GDT_DATA = 0x00cf92000000ffffL, GDT_CODE32 = 0x00cf9a000000ffffL;

    private final long base;

    private Trampoline(long base) {
        this.base = base;
    }

    /**
     * Allocates and writes code, GDT and page tables. The identity map covers the low 4 GiB and
     * all RAM the memory map describes (2 MiB pages; one page directory per GiB), so whatever the
     * payload allocated stays reachable after the hand-off. Reserved and MMIO ranges above the RAM
     * (an AMD host's HyperTransport hole at 1 TiB) are left out: nothing the payload owns is there.
     */
    public static Trampoline reserve(Machine m) {
        long top = Math.max(4L << 30, m.memoryMap().highestRamAddress());
        int gibs = (int) ((top + (1L << 30) - 1) >>> 30);
        if (gibs > 512) throw new IllegalStateException("the hand-off maps at most 512 GiB; this machine's RAM ends at 0x" + Long.toHexString(top));
        int pages = 3 + gibs;
        long base = m.memoryMap().allocate(MemoryMap.AllocateType.MAX_ADDRESS, MemoryType.RUNTIME_SERVICES_CODE.code(),
                pages, 0xffffffffL);
        GuestMemory mem = m.memory();
        mem.fill(base, pages * MemoryMap.PAGE, 0);
        mem.write(base, code());
        long pml4 = base + 0x1000, pdpt = base + 0x2000, pd = base + 0x3000;
        mem.u64(pml4, pdpt | 3);
        java.nio.ByteBuffer dir = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < gibs; i++) {
            mem.u64(pdpt + 8L * i, (pd + 0x1000L * i) | 3);
            for (int j = 0; j < 512; j++) dir.putLong(8 * j, ((long) i << 30 | (long) j << 21) | 0x83); // P|RW|PS
            mem.write(pd + 0x1000L * i, dir.array());
        }
        long d = base + DATA;
        mem.u64(d + 0x88, pml4);
        mem.u64(d + 0xc8, GDT_CODE64);
        mem.u64(d + 0xd0, GDT_DATA);
        mem.u64(d + 0xd8, GDT_CODE32);
        mem.u16(d + 0xb0, 4 * 8 - 1);
        mem.u64(d + 0xb2, d + 0xc0);
        return new Trampoline(base);
    }

    static byte[] code() {
        try (InputStream in = Trampoline.class.getResourceAsStream("trampoline.bin")) {
            if (in == null) throw new IllegalStateException("trampoline.bin missing from the build");
            byte[] b = in.readAllBytes();
            if (b.length > DATA) throw new IllegalStateException("trampoline code overlaps its data block");
            return b;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public long base() {
        return base;
    }

    /**
     * Fills the data block from the registers captured at ExitBootServices.
     *
     * @param acpiSlot   address of the ACPI 2.0 configuration entry's VendorTable field (or 0)
     * @param smbiosSlot same for SMBIOS
     * @param hostRsdp   the host's RSDP for a kexec hand-off, or 0 to scan the BIOS area (QEMU, BIOS hosts)
     * @param hostSmbios the host's SMBIOS entry point, or 0 to scan
     */
    public void finish(GuestMemory mem, Map<String, Long> regs, long acpiSlot, long smbiosSlot, long hostRsdp, long hostSmbios) {
        long d = base + DATA;
        for (int i = 0; i < SAVED.length; i++) {
            mem.u64(d + 8L * i, regs.get(SAVED[i]));
        }
        mem.u64(d + 0x80, regs.get("RFLAGS") & ~0x200L); // IF off until the kernel has an IDT
        mem.u64(d + 0x98, acpiSlot);
        mem.u64(d + 0xa0, smbiosSlot);
        mem.u64(d + 0xa8, hostRsdp);
        mem.u64(d + 0x90, hostSmbios);
    }
}
