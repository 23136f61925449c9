package dev.efiemu.cli;

import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.PvhElf;
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
import java.util.Map;

/** What `run` does with the ExitBootServices state: the PVH ELF, the JSON manifest, kexec (dry run or real). */
final class HandoffOutput {
    private HandoffOutput() {}

    static boolean wanted(Path elf, Path json, boolean kexec, boolean dryRun) {
        return elf != null || json != null || kexec || dryRun;
    }

    static int write(BootSession session, BootReport report, Path elf, Path json, boolean kexec, boolean dryRun, PrintStream stdout)
            throws IOException {
        boolean toHost = kexec || dryRun;
        Handoff h;
        try {
            h = session.handoff(toHost ? HostTables.ofThisHost() : HostTables.none());
        } catch (BootError e) {
            System.err.println("efiemu: " + e.getMessage());
            return 1;
        }
        if (elf != null) {
            AtomicFile.write(elf, o -> PvhElf.write(h, o));
            stdout.printf("hand-off:       %s (%d segments, %d MiB, PVH entry 0x%x)%n", elf, h.segments().size(), h.totalBytes() >> 20,
                    h.entry32());
        }
        if (json != null) {
            byte[] text = manifest(h, report).getBytes(StandardCharsets.UTF_8);
            AtomicFile.write(json, o -> o.write(text));
        }
        if (toHost) {
            KexecLoad load = KexecLoad.plan(h, HostTables.ofThisHost());
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

    static String manifest(Handoff h, BootReport report) {
        StringBuilder b = new StringBuilder("{\n  \"entry32\": \"").append(String.format("0x%x", h.entry32()));
        b.append("\",\n  \"entry64\": \"").append(String.format("0x%x", h.entry64())).append("\",\n  \"segments\": [");
        for (int i = 0; i < h.segments().size(); i++) {
            Handoff.Segment s = h.segments().get(i);
            b.append(i == 0 ? "\n" : ",\n").append(String.format("    {\"address\": \"0x%x\", \"size\": %d}", s.address(), s.bytes().length));
        }
        b.append("\n  ],\n  \"registers\": {");
        int i = 0;
        for (Map.Entry<String, Long> e : report.outcome().handoff().registers().entrySet()) {
            b.append(i++ == 0 ? "\n" : ",\n").append(String.format("    \"%s\": \"0x%x\"", e.getKey(), e.getValue()));
        }
        b.append("\n  },\n  \"memory_map\": [");
        i = 0;
        for (MemoryMap.Region r : h.memoryMap()) {
            b.append(i++ == 0 ? "\n" : ",\n").append(String.format("    {\"start\": \"0x%x\", \"pages\": %d, \"type\": \"%s\", \"attribute\": \"0x%x\"}",
                    r.start(), r.pages(), r.typeName(), r.attribute()));
        }
        return b.append("\n  ]\n}\n").toString();
    }
}
