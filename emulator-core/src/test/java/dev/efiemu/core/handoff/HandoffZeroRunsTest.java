package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.Perm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Zero runs of a MiB or more become zero-filled tails; the segments still cover the range byte for byte. */
class HandoffZeroRunsTest {

    private static final int MIB = 1 << 20;

    /** The memory the segments describe: data, then zeros up to each segment's size, gaps none. */
    private static byte[] rebuild(long start, List<Handoff.Segment> segs) {
        long end = segs.get(segs.size() - 1).end();
        byte[] out = new byte[Math.toIntExact(end - start)];
        long at = start;
        for (Handoff.Segment s : segs) {
            assertEquals(at, s.address(), "segments touch");
            assertEquals(0, s.address() & 0xfff, "segment starts on a page");
            System.arraycopy(s.bytes(), 0, out, (int) (s.address() - start), s.bytes().length);
            at = s.end();
        }
        return out;
    }

    @Test
    void zeroRunsOfAMiBOrMoreAreNotCarried() {
        byte[] all = new byte[8 * MIB];
        all[0] = 1;                       // data, then 3 MiB - 4 KiB of zeros: carried as a tail
        for (int m = 0; m < 5; m++) all[3 * MIB + m * MIB / 2 + m] = 2; // data every half MiB: zeros between are kept
        all[5 * MIB] = 4;                 // the rest after this page is zero to the end: a tail
        long start = 0x1000000;
        List<Handoff.Segment> segs = Handoff.split(start, all);
        assertArrayEquals(all, rebuild(start, segs));
        assertEquals(start + all.length, segs.get(segs.size() - 1).end());
        assertEquals(2, segs.size());
        assertEquals(4096, segs.get(0).bytes().length);
        assertEquals(3 * MIB, segs.get(0).size());
        assertEquals(2 * MIB + 4096, segs.get(1).bytes().length);
        assertEquals(5 * MIB, segs.get(1).size());
    }

    @Test
    void shortZeroRunsStayAndAllZeroIsOneEmptySegment() {
        byte[] all = new byte[MIB];
        all[7] = 9;
        all[MIB - 1] = 9;
        List<Handoff.Segment> one = Handoff.split(0x200000, all);
        assertEquals(1, one.size());
        assertArrayEquals(all, one.get(0).bytes());

        List<Handoff.Segment> zero = Handoff.split(0x200000, new byte[2 * MIB]);
        assertEquals(1, zero.size());
        assertEquals(0, zero.get(0).bytes().length);
        assertEquals(2 * MIB, zero.get(0).size());
    }

    @Test
    void aJoinedKexecPlanKeepsTheLastTail() {
        byte[] a = new byte[4096];
        a[0] = 1;
        List<Handoff.Segment> segs = new java.util.ArrayList<>();
        for (int i = 0; i < KexecPlan.MAX + 1; i++) segs.add(new Handoff.Segment(0x100000L + i * 0x400000L, a, 2 * MIB));
        KexecPlan plan = KexecPlan.of(new Handoff(segs, 0x100000, 0x100000, List.of()));
        assertEquals(KexecPlan.MAX, plan.segments().size());
        Handoff.Segment joined = plan.segments().get(0);
        assertEquals(0x400000 + 4096, joined.bytes().length);
        assertEquals(0x400000 + 2 * MIB, joined.size());
        assertEquals(1, joined.bytes()[0x400000]);
    }

    /**
     * Guest memory is scanned through a 1 MiB window and only the carried bytes are copied out: the
     * segments are the ones the same bytes in one array give, with data on both sides of a window's
     * edge, a zero run that starts inside one window and ends in another, and a zero tail.
     */
    @Test
    void guestMemoryIsCutExactlyAsTheSameBytesInOneArray() {
        byte[] all = new byte[9 * MIB + 3 * 4096];
        all[0] = 1;
        all[MIB - 1] = 2;                 // the last byte of the first window
        all[MIB] = 3;                     // the first of the second
        all[MIB + 5 * 4096 + 17] = 4;     // then 2.5 MiB of zeros, across two window edges
        all[MIB + 5 * 4096 + 17 + 5 * MIB / 2] = 5;
        all[6 * MIB + 100] = 6;           // and zeros to the end: a tail
        long start = 0x101000;
        try (Cpu cpu = Cpus.open(Arch.X86_64)) {
            cpu.map(0, 16L * MIB, Perm.ALL);
            GuestMemory mem = new GuestMemory(cpu);
            mem.write(start, all);
            List<Handoff.Segment> fromGuest = Handoff.read(mem, start, start + all.length);
            List<Handoff.Segment> fromArray = Handoff.split(start, all);
            assertEquals(3, fromArray.size(), "data, a zero run carried as a tail, data and the zero tail");
            assertEquals(fromArray.size(), fromGuest.size());
            for (int i = 0; i < fromArray.size(); i++) {
                assertEquals(fromArray.get(i).address(), fromGuest.get(i).address(), "segment " + i);
                assertEquals(fromArray.get(i).size(), fromGuest.get(i).size(), "segment " + i);
                assertArrayEquals(fromArray.get(i).bytes(), fromGuest.get(i).bytes(), "segment " + i);
            }
            assertArrayEquals(all, rebuild(start, fromGuest));
        }
    }
}
