package dev.efiemu.core.handoff;

import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.cpu.Arch;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-off as kexec_load(2) segments: at most {@value #MAX} (KEXEC_SEGMENT_MAX), made by
 * joining the runs with the smallest gaps (the gap bytes are free RAM and are loaded as zeros),
 * entered at the trampoline's kexec entry (x86_64: 64-bit; AArch64: the one entry, MMU off).
 * {@link #validate} checks it against the host before anything is loaded.
 */
public record KexecPlan(List<Handoff.Segment> segments, long entry, Arch arch) {
    public static final int MAX = 16;

    public KexecPlan(List<Handoff.Segment> segments, long entry) {
        this(segments, entry, Arch.X86_64);
    }

    /** The kexec_load flags' architecture: KEXEC_ARCH_X86_64 (EM_X86_64 << 16) or KEXEC_ARCH_AARCH64 (EM_AARCH64 << 16). */
    public String kexecArch() {
        return arch == Arch.AARCH64 ? "KEXEC_ARCH_AARCH64" : "KEXEC_ARCH_X86_64";
    }

    public static KexecPlan of(Handoff h) {
        List<Handoff.Segment> segs = new ArrayList<>(h.segments());
        while (segs.size() > MAX) {
            int best = 0;
            long bestGap = Long.MAX_VALUE;
            for (int i = 0; i + 1 < segs.size(); i++) {
                long gap = segs.get(i + 1).address() - (segs.get(i).address() + segs.get(i).bytes().length);
                if (gap < bestGap) {
                    bestGap = gap;
                    best = i;
                }
            }
            Handoff.Segment a = segs.get(best), b = segs.get(best + 1);
            byte[] joined = new byte[Math.toIntExact(b.address() + b.bytes().length - a.address())];
            System.arraycopy(a.bytes(), 0, joined, 0, a.bytes().length);
            System.arraycopy(b.bytes(), 0, joined, (int) (b.address() - a.address()), b.bytes().length);
            segs.set(best, new Handoff.Segment(a.address(), joined, b.end() - a.address()));
            segs.remove(best + 1);
        }
        return new KexecPlan(List.copyOf(segs), h.entry64(), h.arch());
    }

    /**
     * The System RAM ranges with touching ones joined: /proc/iomem splits RAM at the kernel's
     * setup_data entries (e820__reserve_setup_data: "00900000-7db99017", "7db99018-7dba2c57", ...
     * on an OVMF guest), which is one stretch of RAM to kexec_load.
     */
    static List<HostMemoryLayout.Range> coalesce(List<HostMemoryLayout.Range> ranges) {
        List<HostMemoryLayout.Range> ram = new ArrayList<>(ranges.stream().filter(HostMemoryLayout.Range::ram).toList());
        ram.sort(java.util.Comparator.comparingLong(HostMemoryLayout.Range::start));
        List<HostMemoryLayout.Range> out = new ArrayList<>();
        for (HostMemoryLayout.Range r : ram) {
            HostMemoryLayout.Range last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && r.start() <= last.end()) {
                out.set(out.size() - 1, new HostMemoryLayout.Range(last.start(), Math.max(last.end(), r.end()), last.type()));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Problems that would make the load fail or the machine crash, one clear sentence each; empty
     * when the plan is fine.
     *
     * @param ram   the host's System RAM (top level of /proc/iomem)
     * @param crash the crash kernel reservation(s)
     */
    public List<String> validate(List<HostMemoryLayout.Range> ram, List<HostMemoryLayout.Range> crash) {
        List<String> problems = new ArrayList<>();
        List<HostMemoryLayout.Range> system = coalesce(ram);
        for (int i = 0; i < segments.size(); i++) {
            Handoff.Segment s = segments.get(i);
            long start = s.address(), end = s.end();
            String name = String.format("segment %d (0x%x-0x%x)", i, start, end - 1);
            if ((start & 0xfff) != 0) problems.add(name + " is not page aligned");
            if (system.stream().noneMatch(r -> r.contains(start, end))) {
                problems.add(name + " is not inside System RAM of /proc/iomem");
            }
            for (HostMemoryLayout.Range c : crash) {
                if (c.overlaps(start, end)) problems.add(name + " overlaps the crash kernel reservation " + c);
            }
            for (int j = i + 1; j < segments.size(); j++) {
                Handoff.Segment o = segments.get(j);
                if (start < o.end() && o.address() < end) {
                    problems.add(name + String.format(" overlaps segment %d (0x%x)", j, o.address()));
                }
            }
        }
        if (segments.size() > MAX) problems.add(segments.size() + " segments: kexec takes at most " + MAX);
        boolean entryInside = segments.stream().anyMatch(s -> entry >= s.address() && entry < s.address() + s.bytes().length);
        if (!entryInside) problems.add(String.format("entry 0x%x is in no segment", entry));
        return problems;
    }

    public String describe() {
        StringBuilder b = new StringBuilder(String.format("kexec_load(entry=0x%x, %d segments, %s):%n", entry, segments.size(), kexecArch()));
        for (int i = 0; i < segments.size(); i++) {
            Handoff.Segment s = segments.get(i);
            b.append(String.format("  %2d  mem 0x%010x-0x%010x  %8d KiB (%d KiB data)%n", i, s.address(), s.end() - 1,
                    s.size() / 1024, s.bytes().length / 1024));
        }
        return b.toString();
    }
}
