package dev.efiemu.core.handoff;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.SystemTables;
import dev.efiemu.cpu.Arch;
import java.util.ArrayList;
import java.util.List;

/**
 * The bootable hand-off built from the machine frozen at ExitBootServices (docs/handoff.md): every
 * allocated range of memory as a segment (firmware tables, runtime stubs, the loaded images, the
 * kernel the stub decompressed, the initrd, the stack the stub still uses), plus the trampoline's
 * entry points.
 *
 * @param segments  physical address and bytes, ascending, non-overlapping
 * @param entry32   x86_64: the PVH entry (32-bit protected mode); AArch64: the one entry
 * @param entry64   x86_64: the kexec entry (64-bit); AArch64: the one entry (MMU off, EL1 or EL2)
 * @param memoryMap the map the payload was given
 * @param arch      the machine it runs on
 */
public record Handoff(List<Segment> segments, long entry32, long entry64, List<MemoryMap.Region> memoryMap, Arch arch) {

    /**
     * Memory for {@code size} bytes at {@code address}: {@code bytes} first, zeros after them (an ELF
     * PT_LOAD's p_filesz below p_memsz; a kexec segment's bufsz below memsz: both zero the rest).
     */
    public record Segment(long address, byte[] bytes, long size) {
        public Segment {
            if (size < bytes.length) throw new IllegalArgumentException("segment size " + size + " below its " + bytes.length + " bytes");
        }

        public Segment(long address, byte[] bytes) {
            this(address, bytes, bytes.length);
        }

        /** The first address after the segment's memory. */
        public long end() {
            return address + size;
        }
    }

    /** Zero runs of at least this many bytes are not carried as data (the kernel's BSS, unused image space). */
    static final int ZERO_RUN = 1 << 20;

    /** An x86_64 hand-off. */
    public Handoff(List<Segment> segments, long entry32, long entry64, List<MemoryMap.Region> memoryMap) {
        this(segments, entry32, entry64, memoryMap, Arch.X86_64);
    }

    /** Patches the AArch64 trampoline for {@code state} and reads out every used range of memory. */
    public static Handoff capture(GuestMemory mem, Aarch64Trampoline t, HandoffState state) {
        t.finish(mem, state.registers());
        return new Handoff(segments(mem, state), t.entry(), t.entry(), state.memoryMap(), Arch.AARCH64);
    }

    /**
     * Patches the trampoline for {@code state} and reads out the memory the next kernel can see or
     * use: everything allocated, except the loader and boot-services memory {@link KeptMemory}
     * finds no use for when the payload is an x86 Linux stub (a boot loader's heap).
     */
    public static Handoff capture(GuestMemory mem, SystemTables tables, Trampoline t, HandoffState state, long hostRsdp, long hostSmbios) {
        t.finish(mem, state.registers(), tables.configTableSlot(Guids.ACPI_20_TABLE),
                tables.configTableSlot(Guids.SMBIOS_TABLE), hostRsdp, hostSmbios);
        List<KeptMemory.Range> kept = KeptMemory.linuxX86(mem, state);
        return new Handoff(segments(mem, state, kept), t.base() + Trampoline.ENTRY32, t.base() + Trampoline.ENTRY64, state.memoryMap());
    }

    private static List<Segment> segments(GuestMemory mem, HandoffState state) {
        return segments(mem, state, null);
    }

    /**
     * The allocated runs of the final memory map, read from guest memory; with {@code kept}, of the
     * reclaimable types only the parts inside a kept range.
     */
    private static List<Segment> segments(GuestMemory mem, HandoffState state, List<KeptMemory.Range> kept) {
        List<long[]> runs = new ArrayList<>();
        for (MemoryMap.Region r : state.memoryMap()) {
            if (!captured(r)) continue;
            if (kept == null || !KeptMemory.reclaimable(r.type())) {
                runs.add(new long[] {r.start(), r.end()});
                continue;
            }
            for (KeptMemory.Range k : kept) {
                long s = Math.max(k.start(), r.start()), e = Math.min(k.end(), r.end());
                if (s < e) runs.add(new long[] {s, e});
            }
        }
        runs.sort(java.util.Comparator.comparingLong(a -> a[0]));
        List<Segment> segs = new ArrayList<>();
        long runStart = -1, runEnd = -1;
        for (long[] r : runs) {
            if (r[0] <= runEnd) {
                runEnd = Math.max(runEnd, r[1]);
                continue;
            }
            if (runStart >= 0) segs.addAll(read(mem, runStart, runEnd));
            runStart = r[0];
            runEnd = r[1];
        }
        if (runStart >= 0) segs.addAll(read(mem, runStart, runEnd));
        return segs;
    }

    /** Allocated memory is captured; free RAM, platform ranges and never-allocatable holes are not. */
    static boolean captured(MemoryMap.Region r) {
        if (r.fixed()) return false;
        return r.type() != MemoryType.CONVENTIONAL.code();
    }

    /**
     * Reads {@code [start, end)} as segments that together cover it exactly, each ending in the
     * zero pages that follow its data when they run for at least {@link #ZERO_RUN} bytes: those are
     * zeroed by the loader (QEMU's ELF loader, kexec_load) instead of being carried. Guest memory
     * is scanned through a window and only the carried bytes are copied out, so the range is never
     * held twice (an installer's hand-off carries some 80 MiB).
     */
    static List<Segment> read(GuestMemory mem, long start, long end) {
        int n = Math.toIntExact(end - start);
        return split(start, n, new Source() {
            static final int WINDOW = 1 << 20;
            private byte[] window;
            private int windowAt = -1;

            @Override
            public boolean isZero(int from, int len) {
                if (window == null || from < windowAt || from + len > windowAt + window.length) {
                    windowAt = from;
                    window = mem.read(start + from, Math.min(WINDOW, n - from));
                }
                return Handoff.isZero(window, from - windowAt, len);
            }

            @Override
            public byte[] copy(int from, int to) {
                return mem.read(start + from, to - from);
            }
        });
    }

    static List<Segment> split(long start, byte[] all) {
        return split(start, all.length, new Source() {
            @Override
            public boolean isZero(int from, int len) {
                return Handoff.isZero(all, from, len);
            }

            @Override
            public byte[] copy(int from, int to) {
                return from == 0 && to == all.length ? all : java.util.Arrays.copyOfRange(all, from, to);
            }
        });
    }

    /** The bytes {@link #split} cuts, by offset from its start. */
    private interface Source {
        boolean isZero(int from, int len);

        byte[] copy(int from, int to);
    }

    private static List<Segment> split(long start, int n, Source src) {
        List<Segment> out = new ArrayList<>();
        int page = 4096, pieceStart = 0;
        int off = (int) ((page - (start & (page - 1))) & (page - 1)); // first page boundary inside
        int zeroStart = -1;
        for (; off <= n; off += page) {
            boolean zero = off + page <= n && src.isZero(off, page);
            if (zero) {
                if (zeroStart < 0) zeroStart = off;
                continue;
            }
            if (zeroStart >= 0) {
                int zeroEnd = off + page <= n ? off : (src.isZero(off, n - off) ? n : off);
                if (zeroEnd - zeroStart >= ZERO_RUN) {
                    out.add(new Segment(start + pieceStart, src.copy(pieceStart, zeroStart), zeroEnd - pieceStart));
                    pieceStart = zeroEnd;
                }
                zeroStart = -1;
            }
        }
        if (pieceStart < n) out.add(new Segment(start + pieceStart, src.copy(pieceStart, n)));
        return out;
    }

    private static boolean isZero(byte[] b, int from, int len) {
        for (int i = from; i < from + len; i++) if (b[i] != 0) return false;
        return true;
    }

    /** The bytes carried as data (what the ELF file and kexec_load's buffers hold). */
    public long totalBytes() {
        long n = 0;
        for (Segment s : segments) n += s.bytes().length;
        return n;
    }

    /** The memory the segments cover, their zero-filled tails included. */
    public long totalSize() {
        long n = 0;
        for (Segment s : segments) n += s.size();
        return n;
    }
}
