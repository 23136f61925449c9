package dev.efiemu.core.handoff;

import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The AArch64 hand-off trampoline (source: emulator-core/src/main/asm/trampoline-aarch64.S) with
 * its data block and identity page tables, in RuntimeServicesCode (the kernel keeps it). Reserved
 * when the machine is built; the data block is filled at ExitBootServices.
 *
 * <pre>
 *   +0x000 code, entered with the MMU off at EL1 or EL2 (QEMU's ELF boot, a kexec)
 *   +0x600 data: X1..X30, SP, NZCV, MAIR, TCR (EL1 layout), TCR_EL2, the two table roots, SCTLR (EL1, EL2)
 *   +0x800 vector table (every exception stops in a wfe loop)
 *   +0x1000 translation tables: 4 KiB granule, 48-bit input addresses (T0SZ 16, level 0 first),
 *           1 GiB blocks where a GiB is all RAM or all device, 2 MiB / 4 KiB below where it is mixed;
 *           one set in the EL1&0 (and VHE EL2&0) descriptor format, one in the EL2 format
 * </pre>
 * RAM (a memory map range with EFI_MEMORY_WB, not reserved or MMIO) is Normal write-back, inner
 * shareable, executable; everything else (MMIO, reserved ranges, holes, devices the map does not
 * list) is Device-nGnRE, never executable.
 */
public final class Aarch64Trampoline {
    public static final int ENTRY = 0, DATA = 0x600, VECTORS = 0x800, TABLES = 0x1000;
    static final int D_REGS = DATA, D_SP = DATA + 0xf0, D_NZCV = DATA + 0xf8, D_MAIR = DATA + 0x100, D_TCR1 = DATA + 0x108,
            D_TCR2 = DATA + 0x110, D_TTBR1 = DATA + 0x118, D_TTBR2 = DATA + 0x120, D_SCTLR1 = DATA + 0x128, D_SCTLR2 = DATA + 0x130;

    /** MAIR: attribute 0 Normal write-back read/write-allocate, attribute 1 Device-nGnRE. */
    static final long MAIR = 0x04ffL;
    /** TCR_EL1 layout: T0SZ 16, IRGN0/ORGN0 write-back, SH0 inner, TG0 4 KiB, EPD1 (no TTBR1 walks); IPS at run time. */
    static final long TCR1 = 16 | 1L << 8 | 1L << 10 | 3L << 12 | 1L << 23;
    /** TCR_EL2 layout without E2H: the same, RES1 bits 31 and 23; PS at run time. */
    static final long TCR2 = 16 | 1L << 8 | 1L << 10 | 3L << 12 | 1L << 23 | 1L << 31;
    /** SCTLR_EL1: M, C, SA, SA0, I and the RES1 bits of ARMv8.0 (11, 20, 22, 23, 28, 29). */
    static final long SCTLR1 = 0x30d0181dL;
    /** SCTLR_EL2 without E2H: M, C, SA, I and its RES1 bits (4, 5, 11, 16, 18, 22, 23, 28, 29). */
    static final long SCTLR2 = 0x30c5183dL;

    static final long GIB = 1L << 30;
    static final long VALID = 1, TABLE = 3, BLOCK = 1, PAGE_DESC = 3;
    static final long AF = 1L << 10, SH_INNER = 3L << 8, ATTR_DEVICE = 1L << 2, AP1 = 1L << 6, PXN = 1L << 53, XN = 1L << 54;

    private final long base;
    private final int pages;

    private Aarch64Trampoline(long base, int pages) {
        this.base = base;
        this.pages = pages;
    }

    /** The kind of memory a range of the physical address space is. */
    enum Kind { NORMAL, DEVICE, MIXED }

    /**
     * Which ranges are RAM: the memory map's write-back cacheable ranges of a memory type the
     * payload or the OS uses (not reserved, unusable or MMIO: on a host map from /proc/iomem those
     * include devices).
     */
    record RamRanges(List<long[]> ranges) {
        static RamRanges of(MemoryMap map) {
            List<long[]> l = new ArrayList<>();
            for (MemoryMap.Region r : map.regions()) {
                if ((r.attribute() & 0x8) == 0) continue; // EFI_MEMORY_WB
                MemoryType t = MemoryType.of(r.type());
                if (t == MemoryType.RESERVED || t == MemoryType.UNUSABLE || t == MemoryType.MMIO || t == MemoryType.MMIO_PORT_SPACE) continue;
                if (!l.isEmpty() && l.get(l.size() - 1)[1] == r.start()) l.get(l.size() - 1)[1] = r.end();
                else l.add(new long[] {r.start(), r.end()});
            }
            return new RamRanges(l);
        }

        Kind kind(long start, long size) {
            long covered = 0;
            for (long[] r : ranges) {
                long s = Math.max(start, r[0]), e = Math.min(start + size, r[1]);
                if (s < e) covered += e - s;
            }
            return covered == 0 ? Kind.DEVICE : covered == size ? Kind.NORMAL : Kind.MIXED;
        }

        long top() {
            return ranges.isEmpty() ? 0 : ranges.get(ranges.size() - 1)[1];
        }
    }

    /**
     * Allocates the trampoline and writes its code and both sets of translation tables. The
     * tables map everything from 0 to the end of RAM (at least 4 GiB), so whatever the payload
     * allocated and the devices below it are reachable.
     */
    public static Aarch64Trampoline reserve(Machine m) {
        RamRanges ram = RamRanges.of(m.memoryMap());
        long top = (Math.max(4L << 30, Math.max(ram.top(), m.memoryMap().highestAddress())) + GIB - 1) & -GIB;
        if (top > (1L << 48)) throw new IllegalStateException("the hand-off maps 48-bit physical addresses; this machine's map ends at 0x" + Long.toHexString(top));
        int tablePages = new Tables(ram, top, 0, false).count();
        int pages = 1 + 2 * tablePages;
        long base = m.memoryMap().allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.RUNTIME_SERVICES_CODE.code(), pages, 0);
        GuestMemory mem = m.memory();
        mem.fill(base, (long) pages * MemoryMap.PAGE, 0);
        mem.write(base, code());
        long root1 = base + TABLES, root2 = root1 + (long) tablePages * MemoryMap.PAGE;
        new Tables(ram, top, root1, false).write(mem);
        new Tables(ram, top, root2, true).write(mem);
        mem.u64(base + D_MAIR, MAIR);
        mem.u64(base + D_TCR1, TCR1);
        mem.u64(base + D_TCR2, TCR2);
        mem.u64(base + D_TTBR1, root1);
        mem.u64(base + D_TTBR2, root2);
        mem.u64(base + D_SCTLR1, SCTLR1);
        mem.u64(base + D_SCTLR2, SCTLR2);
        return new Aarch64Trampoline(base, pages);
    }

    /**
     * One set of translation tables, laid out depth-first from {@code at}: the level 0 table, then
     * each next-level table as it is needed.
     */
    static final class Tables {
        final RamRanges ram;
        final long top;
        final boolean el2;
        long next;
        GuestMemory mem;

        Tables(RamRanges ram, long top, long at, boolean el2) {
            this.ram = ram;
            this.top = top;
            this.el2 = el2;
            this.next = at;
        }

        /** Tables needed. */
        int count() {
            next = 0;
            mem = null;
            table(0, 0);
            return (int) (next / MemoryMap.PAGE);
        }

        void write(GuestMemory m) {
            mem = m;
            table(0, 0);
        }

        /** Writes (or counts) the table of {@code level} covering the range from {@code start}; returns its address. */
        long table(int level, long start) {
            long at = next;
            next += MemoryMap.PAGE;
            long entrySize = 1L << (39 - 9 * level); // 512 GiB, 1 GiB, 2 MiB, 4 KiB
            for (int i = 0; i < 512; i++) {
                long a = start + i * entrySize;
                if (a >= top) break;
                long d;
                if (level == 0) {
                    d = table(1, a) | TABLE;
                } else {
                    Kind k = ram.kind(a, entrySize);
                    if (k == Kind.MIXED) {
                        d = table(level + 1, a) | TABLE; // level 3 ranges are pages: never mixed
                    } else {
                        d = a | (level == 3 ? PAGE_DESC : BLOCK) | attributes(k == Kind.NORMAL);
                    }
                }
                if (mem != null) mem.u64(at + 8L * i, d);
            }
            return at;
        }

        long attributes(boolean normal) {
            long d = AF | (el2 ? AP1 : 0);
            if (normal) return d | SH_INNER;
            return d | ATTR_DEVICE | (el2 ? XN : PXN | XN);
        }
    }

    static byte[] code() {
        try (InputStream in = Aarch64Trampoline.class.getResourceAsStream("trampoline-aarch64.bin")) {
            if (in == null) throw new IllegalStateException("trampoline-aarch64.bin missing from the build");
            byte[] b = in.readAllBytes();
            if (b.length > TABLES) throw new IllegalStateException("trampoline-aarch64 code is larger than its page");
            return b;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public long base() {
        return base;
    }

    public long entry() {
        return base + ENTRY;
    }

    public int pages() {
        return pages;
    }

    /** Fills the data block from the registers captured at ExitBootServices (X1..X30, SP, NZCV). */
    public void finish(GuestMemory mem, Map<String, Long> regs) {
        for (int i = 1; i <= 30; i++) mem.u64(base + D_REGS + 8L * (i - 1), regs.get("X" + i));
        mem.u64(base + D_SP, regs.get("SP"));
        mem.u64(base + D_NZCV, regs.getOrDefault("NZCV", 0L) & 0xf0000000L);
    }
}
