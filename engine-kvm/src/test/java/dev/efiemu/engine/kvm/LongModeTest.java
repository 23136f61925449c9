package dev.efiemu.engine.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;

/** The private slot's tables, walked as the CPU walks them (Intel SDM Vol. 3A §4.5, §6.14.1). */
class LongModeTest {
    static final LongMode LM = new LongMode(40);

    static long read(Memory area, long gpa) {
        return area.getLong(gpa - LM.base);
    }

    /** A 4-level walk of {@code linear} in 2 MiB pages: the physical address, or -1 when not present. */
    static long walk(Memory area, long cr3, long linear) {
        long pml4e = read(area, cr3 + 8 * ((linear >>> 39) & 511));
        if ((pml4e & 1) == 0) return -1;
        long pdpte = read(area, (pml4e & ~0xfffL) + 8 * ((linear >>> 30) & 511));
        if ((pdpte & 1) == 0) return -1;
        long pde = read(area, (pdpte & ~0xfffL) + 8 * ((linear >>> 21) & 511));
        if ((pde & 1) == 0 || (pde & 0x80) == 0) return -1;
        return (pde & ~0x1fffffL & 0xfffffffffffffL) | (linear & 0x1fffff);
    }

    @Test
    void theTablesMapTheWholePhysicalSpaceToItself() {
        Memory area = new Memory(LongMode.SIZE);
        area.clear();
        LM.build(area);
        Memory sregs = new Memory(Layout.SREGS_SIZE);
        sregs.clear();
        LM.initSregs(sregs);
        long cr3 = sregs.getLong(Layout.CR3);
        assertEquals(LM.base, cr3);
        for (long a : new long[] {0, 0x1234, 0x3ffdf123L, 0xfffff000L, 0x1_0000_0000L, 0x7f_ffff_f000L, 0x80_0000_0000L, LM.base + 0x4003,
            (1L << 40) - 1}) {
            assertEquals(a, walk(area, cr3, a), String.format("0x%x", a));
        }
        assertEquals(-1, walk(area, cr3, 1L << 40), "nothing above the physical space");
        assertEquals(LongMode.CR0_PG | LongMode.CR0_PE | LongMode.CR0_ET, sregs.getLong(Layout.CR0));
        assertEquals(LongMode.EFER_LME | LongMode.EFER_LMA, sregs.getLong(Layout.EFER));
    }

    @Test
    void everyVectorGoesThroughTheExceptionStackToItsOwnHalt() {
        Memory area = new Memory(LongMode.SIZE);
        area.clear();
        LM.build(area);
        for (int v = 0; v < 256; v++) {
            long gate = LongMode.IDT + 16L * v;
            long handler = (area.getShort(gate) & 0xffffL) | ((area.getShort(gate + 6) & 0xffffL) << 16) | ((long) area.getInt(gate + 8) << 32);
            assertEquals(v, LM.vectorAt(handler));
            assertEquals((byte) 0xf4, area.getByte(handler - LM.base));
            assertEquals(1, area.getByte(gate + 4), "IST 1");
            assertEquals((byte) 0x8e, area.getByte(gate + 5));
            assertEquals(LongMode.CODE64, area.getShort(gate + 2));
        }
        assertEquals(LM.base + LongMode.STACK_TOP, area.getLong(LongMode.TSS + 0x24));
        assertEquals(-1, LM.vectorAt(LM.base + LongMode.EXITS + 256));
        assertTrue(LongMode.hasErrorCode(14) && LongMode.hasErrorCode(13) && !LongMode.hasErrorCode(3) && !LongMode.hasErrorCode(6));
    }
}
