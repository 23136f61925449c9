package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.core.memory.HostMemoryLayout.Range;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 5 acceptance 4: validation of kexec segments against the host, with clear messages. */
class KexecPlanTest {
    static final String IOMEM = """
            00000000-00000fff : Reserved
            00001000-0009fbff : System RAM
            0009fc00-000fffff : Reserved
              000f0000-000fffff : System ROM
            00100000-bfffffff : System RAM
              01000000-0220bb07 : Kernel code
              20000000-2fffffff : Crash kernel
            c0001000-eebfffff : PCI Bus 0000:00
            100000000-63fffffff : System RAM
            """;

    static Handoff handoff(long entry, long... startsAndSizes) {
        List<Handoff.Segment> segs = new ArrayList<>();
        for (int i = 0; i < startsAndSizes.length; i += 2) {
            segs.add(new Handoff.Segment(startsAndSizes[i], new byte[(int) startsAndSizes[i + 1]]));
        }
        return new Handoff(segs, entry - 0x10, entry, List.of());
    }

    static List<String> validate(KexecPlan p) {
        return p.validate(HostMemoryLayout.parseIomemTopLevel(IOMEM), HostMemoryLayout.findIomem(IOMEM, "Crash kernel"));
    }

    @Test
    void parsesIomem() {
        List<Range> top = HostMemoryLayout.parseIomemTopLevel(IOMEM);
        assertEquals(6, top.size());
        assertEquals(new Range(0x100000, 0xc0000000L, "System RAM"), top.get(3));
        assertEquals(List.of(new Range(0x20000000, 0x30000000, "Crash kernel")), HostMemoryLayout.findIomem(IOMEM, "Crash kernel"));
    }

    @Test
    void goodPlanValidates() {
        KexecPlan p = KexecPlan.of(handoff(0x1000010, 0x1000000, 0x10000, 0x100000000L, 0x2000));
        assertEquals(List.of(), validate(p));
    }

    @Test
    void segmentOutsideRamIsNamed() {
        List<String> problems = validate(KexecPlan.of(handoff(0x1000010, 0x1000000, 0x1000, 0xc0002000L, 0x1000)));
        assertEquals(List.of("segment 1 (0xc0002000-0xc0002fff) is not inside System RAM of /proc/iomem"), problems);
    }

    /** An OVMF guest's /proc/iomem (the kexec lab with QEMU's std VGA): RAM split at setup_data entries, one stretch to kexec_load. */
    @Test
    void ramSplitAtSetupDataIsOneRange() {
        String iomem = """
                00900000-7db99017 : System RAM
                7db99018-7dba2c57 : System RAM
                7dba2c58-7ee89fff : System RAM
                7ee8a000-7ef8bfff : Reserved
                """;
        KexecPlan ok = KexecPlan.of(handoff(0x7cdd8010L, 0x7cdd8000L, 0x7dba5000L - 0x7cdd8000L));
        assertEquals(List.of(), ok.validate(HostMemoryLayout.parseIomemTopLevel(iomem), List.of()));
        KexecPlan across = KexecPlan.of(handoff(0x7ee89010L, 0x7ee89000L, 0x2000));
        assertTrue(across.validate(HostMemoryLayout.parseIomemTopLevel(iomem), List.of()).get(0).contains("not inside System RAM"));
    }

    @Test
    void segmentStraddlingTheEndOfRamIsRefused() {
        List<String> problems = validate(KexecPlan.of(handoff(0xbffff010L, 0xbffff000L, 0x2000)));
        assertTrue(problems.get(0).contains("is not inside System RAM"), problems.toString());
    }

    @Test
    void crashKernelOverlapIsRefused() {
        List<String> problems = validate(KexecPlan.of(handoff(0x1000010, 0x1000000, 0x1000, 0x2ffff000, 0x2000)));
        assertEquals(List.of("segment 1 (0x2ffff000-0x30000fff) overlaps the crash kernel reservation 20000000-2fffffff Crash kernel"),
                problems);
    }

    @Test
    void overlappingSegmentsAreRefused() {
        KexecPlan p = new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x2000]),
                new Handoff.Segment(0x1001000, new byte[0x1000])), 0x1000010);
        assertEquals(List.of("segment 0 (0x1000000-0x1001fff) overlaps segment 1 (0x1001000)"), validate(p));
    }

    @Test
    void entryMustBeInsideTheImage() {
        assertEquals(List.of("entry 0x5000000 is in no segment"), validate(KexecPlan.of(handoff(0x5000000, 0x1000000, 0x1000))));
    }

    @Test
    void moreThanSixteenRunsAreJoinedAcrossTheSmallestGaps() {
        long[] s = new long[40];
        for (int i = 0; i < 20; i++) {
            s[2 * i] = 0x1000000L + i * 0x10000L + (i >= 7 ? 0x100000 : 0);
            s[2 * i + 1] = 0x1000;
        }
        KexecPlan p = KexecPlan.of(handoff(0x1000010, s));
        assertEquals(16, p.segments().size());
        assertEquals(List.of(), validate(p));
        // Contents keep their addresses: the first segment now spans the joined gap as zeros.
        Handoff.Segment first = p.segments().get(0);
        assertEquals(0x1000000, first.address());
        assertTrue(first.bytes().length > 0x1000);
    }

    @Test
    void hostLayoutKeepsAllocationsOutOfTheCrashKernel() {
        MemoryMap m = HostMemoryLayout.toMemoryMap(HostMemoryLayout.parseIomemTopLevel(IOMEM), HostMemoryLayout.findIomem(IOMEM, "Crash kernel"));
        assertEquals(MemoryType.RESERVED.code(), m.find(0x20000000).type());
        assertEquals(MemoryType.CONVENTIONAL.code(), m.find(0x30000000).type());
        assertTrue(m.find(0).fixed(), "page 0 is never handed out");
        for (int i = 0; i < 200; i++) {
            long a = m.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.LOADER_DATA.code(), 4096, 0);
            assertTrue(a + (4096L << 12) <= 0x20000000 || a >= 0x30000000, Long.toHexString(a));
        }
    }
    /**
     * Joining keeps every byte: 18 runs with distinct contents and gaps, the two smallest gaps
     * (0x1000 after run 5, 0x2000 after run 11) are closed, the joined segments hold both runs at
     * their offsets with zeros between; every other run is untouched.
     */
    @Test
    void joiningKeepsEveryByteAndClosesOnlyTheSmallestGaps() {
        List<Handoff.Segment> segs = new ArrayList<>();
        long at = 0x1000000;
        for (int i = 0; i < 18; i++) {
            byte[] b = new byte[0x1000 * (1 + i % 3)];
            java.util.Arrays.fill(b, (byte) (i + 1));
            segs.add(new Handoff.Segment(at, b));
            long gap = i == 5 ? 0x1000 : i == 11 ? 0x2000 : 0x10000 + 0x1000L * i;
            at += b.length + gap;
        }
        KexecPlan p = KexecPlan.of(new Handoff(segs, 0, segs.get(0).address() + 0x10, List.of()));
        assertEquals(16, p.segments().size());
        assertEquals(segs.get(0).address() + 0x10, p.entry());
        assertEquals(segs.get(4).address(), p.segments().get(4).address(), "runs before the first joined pair keep their places");
        assertEquals(segs.get(7).address(), p.segments().get(6).address(), "run 6 went into segment 5");
        Handoff.Segment j1 = p.segments().get(5), j2 = p.segments().get(10);
        assertEquals(segs.get(5).address(), j1.address());
        assertEquals(segs.get(6).address() + segs.get(6).bytes().length - segs.get(5).address(), j1.bytes().length);
        assertArrayEquals(segs.get(5).bytes(), java.util.Arrays.copyOf(j1.bytes(), segs.get(5).bytes().length));
        int off = (int) (segs.get(6).address() - segs.get(5).address());
        assertArrayEquals(segs.get(6).bytes(), java.util.Arrays.copyOfRange(j1.bytes(), off, off + segs.get(6).bytes().length));
        for (int k = segs.get(5).bytes().length; k < off; k++) assertEquals(0, j1.bytes()[k], "the gap loads as zeros");
        assertEquals(segs.get(11).address(), j2.address());
        assertEquals(segs.get(12).address() + segs.get(12).bytes().length - segs.get(11).address(), j2.bytes().length);
        int off2 = (int) (segs.get(12).address() - segs.get(11).address());
        assertEquals(13, j2.bytes()[off2], "run 12's bytes after the gap");
        for (int i : new int[] {0, 4, 7, 10, 13, 17}) {
            Handoff.Segment kept = p.segments().stream().filter(x -> x.address() == segs.get(i).address()).findFirst().orElseThrow();
            assertArrayEquals(segs.get(i).bytes(), kept.bytes(), "run " + i + " untouched");
        }
        String d = p.describe();
        assertTrue(d.startsWith("kexec_load(entry=0x1000010, 16 segments, KEXEC_ARCH_X86_64):"), d);
        assertTrue(d.contains(String.format("   0  mem 0x%010x-0x%010x         4 KiB", 0x1000000L, 0x1000fffL)), d);
        assertEquals("KEXEC_ARCH_AARCH64", new KexecPlan(List.of(), 0, dev.efiemu.cpu.Arch.AARCH64).kexecArch());
    }

    /** The entry must lie inside a segment: its first byte counts, the byte after its end does not. */
    @Test
    void entryAtTheEdgesOfASegment() {
        assertEquals(List.of(), validate(new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x1000])), 0x1000000)));
        assertEquals(List.of(), validate(new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x1000])), 0x1000fff)));
        assertEquals(List.of("entry 0x1001000 is in no segment"),
                validate(new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x1000])), 0x1001000)));
        assertEquals(List.of("entry 0xfffff is in no segment"),
                validate(new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x1000]), new Handoff.Segment(0x100000, new byte[0x1000])), 0xfffff)));
        // touching segments do not overlap; a segment that ends exactly at the end of RAM fits
        assertEquals(List.of(), validate(new KexecPlan(List.of(new Handoff.Segment(0x1000000, new byte[0x1000]),
                new Handoff.Segment(0x1001000, new byte[0x1000])), 0x1000000)));
        assertEquals(List.of(), validate(new KexecPlan(List.of(new Handoff.Segment(0xbffff000L, new byte[0x1000])), 0xbffff000L)));
    }
}
