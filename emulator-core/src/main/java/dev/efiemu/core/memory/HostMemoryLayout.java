package dev.efiemu.core.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The host's physical memory as Linux describes it, for a hand-off that will run on this machine
 * through kexec: /sys/firmware/memmap (the firmware's map as booted), else the top level of
 * /proc/iomem. "Crash kernel" ranges from /proc/iomem are kept out of every allocation.
 */
public final class HostMemoryLayout {
    /** One range, end exclusive. */
    public record Range(long start, long end, String type) {
        public boolean ram() {
            return type.equals("System RAM");
        }

        public boolean overlaps(long s, long e) {
            return s < end && start < e;
        }

        public boolean contains(long s, long e) {
            return start <= s && e <= end;
        }

        @Override
        public String toString() {
            return String.format("%x-%x %s", start, end - 1, type);
        }
    }

    /**
     * One region of the host firmware's runtime memory map as the running kernel exports it in
     * /sys/firmware/efi/runtime-map/N (Linux drivers/firmware/efi/runtime-map.c): the EFI memory
     * descriptor of a region with EFI_MEMORY_RUNTIME, with the virtual address the kernel gave it
     * through SetVirtualAddressMap.
     */
    public record RuntimeRegion(int type, long phys, long pages, long virt, long attribute) {
        public long end() {
            return phys + pages * MemoryMap.PAGE;
        }

        public boolean containsPhys(long a) {
            return a >= phys && a < end();
        }

        public boolean containsVirt(long a) {
            return a >= virt && a < virt + pages * MemoryMap.PAGE;
        }
    }

    private HostMemoryLayout() {}

    /** Reads /sys/firmware/efi/runtime-map (empty when the directory does not exist). */
    public static List<RuntimeRegion> readRuntimeMap(Path dir) throws IOException {
        List<RuntimeRegion> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path d : entries.sorted().toList()) {
                out.add(new RuntimeRegion((int) hex(d.resolve("type")), hex(d.resolve("phys_addr")), hex(d.resolve("num_pages")),
                        hex(d.resolve("virt_addr")), hex(d.resolve("attribute"))));
            }
        }
        out.sort(Comparator.comparingLong(RuntimeRegion::phys));
        return out;
    }

    /** "0x..." as an unsigned 64-bit value (virtual addresses and attributes use the top bit). */
    static long hex(Path p) throws IOException {
        return parseHex(Files.readString(p).strip());
    }

    static long parseHex(String s) {
        String t = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        return Long.parseUnsignedLong(t, 16);
    }

    /** Reads /sys/firmware/memmap/N/{start,end,type}. */
    public static List<Range> readSysfs(Path dir) throws IOException {
        List<Range> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path d : entries.sorted().toList()) {
                long s = Long.decode(Files.readString(d.resolve("start")).strip());
                long e = Long.decode(Files.readString(d.resolve("end")).strip());
                out.add(new Range(s, e + 1, Files.readString(d.resolve("type")).strip()));
            }
        }
        out.sort(Comparator.comparingLong(Range::start));
        return out;
    }

    /** Top-level ranges of a /proc/iomem text (root sees real addresses; others see zeros). */
    public static List<Range> parseIomemTopLevel(String text) {
        List<Range> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || Character.isWhitespace(line.charAt(0))) continue;
            Range r = parseLine(line.strip());
            if (r != null) out.add(r);
        }
        return out;
    }

    /** Every range named {@code name} at any depth of /proc/iomem (e.g. "Crash kernel"). */
    public static List<Range> findIomem(String text, String name) {
        List<Range> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            Range r = parseLine(line.strip());
            if (r != null && r.type().equals(name)) out.add(r);
        }
        return out;
    }

    /**
     * What the running kernel took out of the firmware's RAM: the top-level /proc/iomem ranges
     * that are not System RAM but overlap RAM of the firmware's map ({@code firmware}, from
     * /sys/firmware/memmap). Linux's efi_mem_reserve (the BGRT boot logo an EFI host with a display
     * keeps, the ESRT, the TPM event log, ...) carves such ranges out after boot; kexec_load only
     * takes segments inside System RAM, so an allocation there is a hand-off that cannot load.
     * (No lab host shows one yet: an OVMF guest's /proc/iomem and memmap agree.)
     */
    public static List<Range> reservedSinceBoot(List<Range> firmware, String iomemText) {
        List<Range> out = new ArrayList<>();
        for (Range r : parseIomemTopLevel(iomemText)) {
            if (r.ram() || r.end() <= r.start() || r.start() == 0 && r.end() <= 1) continue;
            if (firmware.stream().anyMatch(f -> f.ram() && f.overlaps(r.start(), r.end()))) out.add(r);
        }
        return out;
    }

    private static Range parseLine(String line) {
        int colon = line.indexOf(" : ");
        int dash = line.indexOf('-');
        if (colon < 0 || dash < 0 || dash > colon) return null;
        try {
            long s = Long.parseUnsignedLong(line.substring(0, dash), 16);
            long e = Long.parseUnsignedLong(line.substring(dash + 1, colon), 16);
            return new Range(s, e + 1, line.substring(colon + 3).strip());
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    /**
     * The memory map a payload gets on this host: RAM (page-aligned inwards) as Conventional,
     * ACPI ranges as ACPI memory, everything else reserved; {@code avoid} ranges (crash kernel)
     * and page 0 are reserved so nothing is ever allocated there.
     */
    public static MemoryMap toMemoryMap(List<Range> ranges, List<Range> avoid) {
        return toMemoryMap(ranges, avoid, List.of());
    }

    /**
     * Like {@link #toMemoryMap(List, List)}, with the host firmware's runtime regions described as
     * they are (runtime code, data, MMIO; their attributes, EFI_MEMORY_RUNTIME included) instead
     * of as the reserved ranges the kernel's e820 map shows for them.
     */
    public static MemoryMap toMemoryMap(List<Range> ranges, List<Range> avoid, List<RuntimeRegion> runtime) {
        MemoryMap m = toMemoryMapOf(ranges, avoid);
        for (RuntimeRegion r : runtime) m.overlay(r.phys(), r.end(), r.type(), r.attribute());
        return m;
    }

    private static MemoryMap toMemoryMapOf(List<Range> ranges, List<Range> avoid) {
        MemoryMap m = new MemoryMap();
        for (Range r : ranges) {
            long s = (r.start() + MemoryMap.PAGE - 1) & -MemoryMap.PAGE;
            long e = r.end() & -MemoryMap.PAGE;
            if (r.ram()) {
                // split RAM around avoided ranges and page 0
                long at = Math.max(s, MemoryMap.PAGE);
                if (s == 0 && e > 0) m.addFixed(0, MemoryMap.PAGE, MemoryType.BOOT_SERVICES_DATA, MemoryMap.ATTR_RAM);
                List<Range> holes = avoid.stream().filter(a -> a.overlaps(at, e)).sorted(Comparator.comparingLong(Range::start)).toList();
                long cur = at;
                for (Range h : holes) {
                    long hs = Math.max(cur, h.start() & -MemoryMap.PAGE), he = Math.min(e, (h.end() + MemoryMap.PAGE - 1) & -MemoryMap.PAGE);
                    if (hs > cur) m.addRam(cur, hs);
                    if (he > hs) m.addFixed(hs, he, MemoryType.RESERVED, MemoryMap.ATTR_RAM);
                    cur = Math.max(cur, he);
                }
                if (e > cur) m.addRam(cur, e);
            } else {
                long fs = r.start() & -MemoryMap.PAGE, fe = (r.end() + MemoryMap.PAGE - 1) & -MemoryMap.PAGE;
                MemoryType t = switch (r.type()) {
                    case "ACPI Tables" -> MemoryType.ACPI_RECLAIM;
                    case "ACPI Non-volatile Storage" -> MemoryType.ACPI_NVS;
                    default -> MemoryType.RESERVED;
                };
                if (fe > fs && m.find(fs) == null && m.find(fe - 1) == null) m.addFixed(fs, fe, t, MemoryMap.ATTR_RAM);
            }
        }
        return m;
    }
}
