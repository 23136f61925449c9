package dev.efiemu.cli;

import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.HandoffElf;
import dev.efiemu.cpu.Arch;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.session.AtomicFile;
import dev.efiemu.session.BootError;
import dev.efiemu.session.BootReport;
import dev.efiemu.session.BootSession;
import dev.efiemu.session.HostTables;
import dev.efiemu.session.KexecLoad;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import dev.efiemu.loader.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What `run` does with the ExitBootServices state: the PVH ELF, the JSON manifest, kexec (dry run or real). */
final class HandoffOutput {
    private HandoffOutput() {}

    static boolean wanted(Path elf, Path json, boolean kexec, boolean dryRun) {
        return elf != null || json != null || kexec || dryRun;
    }

    /** {@code iomem}: the /proc/iomem a dry run validates against (another machine's, saved), or null for this host's. */
    static int write(BootSession session, BootReport report, Path elf, Path json, boolean kexec, boolean dryRun, Path iomem, PrintStream stdout)
            throws IOException {
        boolean toHost = kexec || dryRun;
        HostTables host = toHost && iomem == null ? HostTables.ofThisHost() : HostTables.none();
        Handoff h;
        try {
            h = session.handoff(host);
        } catch (BootError e) {
            System.err.println("efiemu: " + e.getMessage());
            return 1;
        }
        if (elf != null) {
            AtomicFile.write(elf, o -> HandoffElf.write(h, o));
            if (h.arch() == Arch.AARCH64) {
                stdout.printf("hand-off:       %s (%d segments, %d MiB of data for %d MiB, entry 0x%x)%n", elf, h.segments().size(), h.totalBytes() >> 20, h.totalSize() >> 20, h.entry64());
            } else {
                stdout.printf("hand-off:       %s (%d segments, %d MiB of data for %d MiB, PVH entry 0x%x)%n", elf, h.segments().size(),
                        h.totalBytes() >> 20, h.totalSize() >> 20, h.entry32());
            }
        }
        if (json != null) {
            byte[] text = manifest(h, report).getBytes(StandardCharsets.UTF_8);
            AtomicFile.write(json, o -> o.write(text));
        }
        if (toHost) {
            KexecLoad load = iomem == null ? KexecLoad.plan(h, host) : KexecLoad.plan(h, host, iomem);
            stdout.print(load.describe());
            if (!load.problems().isEmpty()) return 1;
            if (kexec) {
                load.load();
                stdout.println("loaded: reboot into it with 'kexec -e' or 'systemctl kexec'");
            } else {
                stdout.println("dry run: nothing loaded (use --kexec to load it)");
            }
        }
        return 0;
    }

    /** The hand-off manifest (--handoff-json): entry points, segments, saved registers, memory map. */
    static String manifest(Handoff h, BootReport report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", h.arch().name().toLowerCase());
        if (h.arch() == Arch.AARCH64) {
            m.put("entry", hex(h.entry64()));
        } else {
            m.put("entry32", hex(h.entry32()));
            m.put("entry64", hex(h.entry64()));
        }
        List<Object> segs = new ArrayList<>();
        for (Handoff.Segment s : h.segments()) segs.add(ordered("address", hex(s.address()), "size", s.size(), "data", s.bytes().length));
        m.put("segments", segs);
        Map<String, Object> regs = new LinkedHashMap<>();
        report.outcome().handoff().registers().forEach((k, v) -> regs.put(k, hex(v)));
        m.put("registers", regs);
        List<Object> map = new ArrayList<>();
        for (MemoryMap.Region r : h.memoryMap()) {
            map.add(ordered("start", hex(r.start()), "pages", r.pages(), "type", r.typeName(), "attribute", hex(r.attribute())));
        }
        m.put("memory_map", map);
        return Json.write(m);
    }

    private static String hex(long v) {
        return String.format("0x%x", v);
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
