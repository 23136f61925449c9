package dev.efiemu.engine.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPU state UEFI promises a payload on x86_64 (UEFI spec §2.3.4: long mode, paging with an
 * identity map, a flat GDT), built for a real vCPU: what Unicorn's 64-bit mode gives for free must
 * exist in guest memory here. It lives in a private slot at the top of the guest-physical space
 * (below 2^min(40, host MAXPHYADDR), far from any RAM a machine describes):
 *
 * <pre>
 *   +0x0000 PML4        +0x1000.. PDPTs (one per 512 GiB)
 *   +0x3000 IDT: 256 interrupt gates, IST 1, each to its own byte of
 *   +0x4000 exception exits: 256 HLT instructions; vector N halts at +0x4000+N, so the exit names the vector
 *   +0x5000 TSS (IST 1)  +0x6000 a flat GDT until the firmware loads its own (same selectors: 0x38 code, 0x10 data)
 *   +0x8000..0x10000 the exception stack (IST 1): a fault never needs the guest's stack
 *   +0x10000.. page directories, 2 MiB pages, identity for all of [0, 2^bits)
 * </pre>
 *
 * Guest-physical addresses without a memory slot stay mapped in these tables: an access leaves
 * KVM_RUN as MMIO, which the engine reports as a memory fault with its address, as Unicorn does.
 */
final class LongMode {
    static final long SIZE = 8L << 20;
    static final int PML4 = 0, PDPT = 0x1000, IDT = 0x3000, EXITS = 0x4000, TSS = 0x5000, GDT = 0x6000,
            STACK_BOTTOM = 0x8000, STACK_TOP = 0x10000, PD = 0x10000;
    static final int CODE64 = 0x38, DATA = 0x10, TR_SELECTOR = 0x40;
    static final long CR0_PE = 1, CR0_ET = 0x10, CR0_PG = 0x80000000L, CR4_PAE = 0x20, EFER_LME = 0x100, EFER_LMA = 0x400;
    private static final long[] FLAT_GDT = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, 0, 0, 0, 0, 0x00af9a000000ffffL};

    /** Guest-physical base of the private slot. */
    final long base;
    /** The identity map covers [0, 2^bits). */
    final int bits;

    LongMode(int bits) {
        this.bits = bits;
        this.base = (1L << bits) - SIZE;
    }

    /** Physical address bits of this host (/proc/cpuinfo "address sizes"), 39 when unknown. */
    static int hostPhysBits() {
        try {
            Matcher m = Pattern.compile("address sizes\\s*:\\s*(\\d+) bits physical").matcher(Files.readString(Path.of("/proc/cpuinfo")));
            if (m.find()) return Integer.parseInt(m.group(1));
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 39;
    }

    /** Fills the private slot (its host memory at {@code area}, zeroed). */
    void build(Pointer area) {
        long pds = 1L << (bits - 30);
        long pdpts = Math.max(1, 1L << (bits - 39));
        for (int i = 0; i < pdpts; i++) area.setLong(PML4 + 8L * i, (base + PDPT + 0x1000L * i) | 3);
        for (long g = 0; g < pds; g++) {
            area.setLong(PDPT + 8 * g, (base + PD + 0x1000 * g) | 3); // PDPTs are consecutive pages
            for (int e = 0; e < 512; e++) area.setLong(PD + 0x1000 * g + 8L * e, ((g << 30) + ((long) e << 21)) | 0x83);
        }
        for (int v = 0; v < 256; v++) {
            long handler = base + EXITS + v;
            long gate = IDT + 16L * v;
            area.setShort(gate, (short) handler);
            area.setShort(gate + 2, (short) CODE64);
            area.setByte(gate + 4, (byte) 1); // IST 1
            area.setByte(gate + 5, (byte) 0x8e); // present, DPL 0, 64-bit interrupt gate
            area.setShort(gate + 6, (short) (handler >>> 16));
            area.setInt(gate + 8, (int) (handler >>> 32));
            area.setByte(EXITS + v, GuestRam.HLT);
        }
        area.setLong(TSS + 0x24, base + STACK_TOP); // IST1
        area.setShort(TSS + 0x66, (short) 104); // no I/O permission bitmap
        for (int i = 0; i < FLAT_GDT.length; i++) area.setLong(GDT + 8L * i, FLAT_GDT[i]);
    }

    /** Long mode, paging on these tables, flat segments, the private IDT and TSS. */
    void initSregs(Memory s) {
        segment(s, Layout.CS, CODE64, 0xb, true);
        for (int seg : new int[] {Layout.DS, Layout.ES, Layout.FS, Layout.GS, Layout.SS}) segment(s, seg, DATA, 0x3, false);
        // TR: a busy 64-bit TSS; its descriptor is cached in the vCPU, no GDT entry is needed.
        s.setLong(Layout.TR + Layout.SEG_BASE, base + TSS);
        s.setInt(Layout.TR + Layout.SEG_LIMIT, 0x67);
        s.setShort(Layout.TR + Layout.SEG_SELECTOR, (short) TR_SELECTOR);
        s.setByte(Layout.TR + Layout.SEG_TYPE, (byte) 0xb);
        s.setByte(Layout.TR + Layout.SEG_PRESENT, (byte) 1);
        s.setByte(Layout.TR + Layout.SEG_S, (byte) 0);
        s.setByte(Layout.TR + Layout.SEG_UNUSABLE, (byte) 0);
        s.setByte(Layout.LDT + Layout.SEG_UNUSABLE, (byte) 1);
        s.setLong(Layout.GDT + Layout.DT_BASE, base + GDT);
        s.setShort(Layout.GDT + Layout.DT_LIMIT, (short) (FLAT_GDT.length * 8 - 1));
        s.setLong(Layout.IDT + Layout.DT_BASE, base + IDT);
        s.setShort(Layout.IDT + Layout.DT_LIMIT, (short) 0xfff);
        s.setLong(Layout.CR0, CR0_PE | CR0_ET | CR0_PG);
        s.setLong(Layout.CR3, base + PML4);
        s.setLong(Layout.CR4, CR4_PAE);
        s.setLong(Layout.EFER, EFER_LME | EFER_LMA);
    }

    private static void segment(Memory s, int at, int selector, int type, boolean code) {
        s.setLong(at + Layout.SEG_BASE, 0);
        s.setInt(at + Layout.SEG_LIMIT, 0xffffffff);
        s.setShort(at + Layout.SEG_SELECTOR, (short) selector);
        s.setByte(at + Layout.SEG_TYPE, (byte) type);
        s.setByte(at + Layout.SEG_PRESENT, (byte) 1);
        s.setByte(at + Layout.SEG_DPL, (byte) 0);
        s.setByte(at + Layout.SEG_DB, (byte) (code ? 0 : 1));
        s.setByte(at + Layout.SEG_S, (byte) 1);
        s.setByte(at + Layout.SEG_L, (byte) (code ? 1 : 0));
        s.setByte(at + Layout.SEG_G, (byte) 1);
        s.setByte(at + Layout.SEG_UNUSABLE, (byte) 0);
    }

    /** The vector whose exit halted at {@code address}, or -1. */
    int vectorAt(long address) {
        long v = address - (base + EXITS);
        return v >= 0 && v < 256 ? (int) v : -1;
    }

    /** Whether the CPU pushes an error code for {@code vector} (Intel SDM Vol. 3A, Table 6-1). */
    static boolean hasErrorCode(int vector) {
        return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30;
    }
}
