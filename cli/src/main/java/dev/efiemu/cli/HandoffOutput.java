package dev.efiemu.cli;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.KexecPlan;
import dev.efiemu.core.handoff.PvhElf;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.host.Kexec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What `run` does with the ExitBootServices state: the PVH ELF, the JSON manifest, kexec (dry run or real). */
final class HandoffOutput {
    private HandoffOutput() {}

    static boolean wanted(Path elf, Path json, boolean kexec, boolean dryRun) {
        return elf != null || json != null || kexec || dryRun;
    }

    static int write(Firmware fw, RunOutcome out, Path elf, Path json, boolean kexec, boolean dryRun, PrintStream stdout)
            throws IOException {
        if (out.kind() != RunOutcome.Kind.EXIT_BOOT_SERVICES) {
            System.err.println("efiemu: no hand-off: the payload did not reach ExitBootServices");
            return 1;
        }
        if (fw.trampoline() == null) {
            System.err.println("efiemu: no hand-off: it exists for x86_64 payloads only so far (this one is "
                    + fw.machine().config().arch() + ")");
            return 1;
        }
        boolean toHost = kexec || dryRun;
        long[] tables = toHost ? hostTables() : new long[2];
        Handoff h = Handoff.capture(fw, out.handoff(), tables[0], tables[1]);
        if (elf != null) {
            AtomicFile.write(elf, o -> PvhElf.write(h, o));
            stdout.printf("hand-off:       %s (%d segments, %d MiB, PVH entry 0x%x)%n", elf, h.segments().size(), h.totalBytes() >> 20,
                    h.entry32());
        }
        if (json != null) {
            byte[] text = manifest(h, out).getBytes(StandardCharsets.UTF_8);
            AtomicFile.write(json, o -> o.write(text));
        }
        if (toHost) {
            KexecPlan plan = KexecPlan.of(h);
            String iomem = Files.readString(Path.of("/proc/iomem"));
            List<HostMemoryLayout.Range> ram = HostMemoryLayout.parseIomemTopLevel(iomem);
            List<HostMemoryLayout.Range> crash = HostMemoryLayout.findIomem(iomem, "Crash kernel");
            List<String> problems = plan.validate(ram, crash);
            stdout.print(plan.describe());
            stdout.printf("host tables:    ACPI 2.0 RSDP %s, SMBIOS %s%n", hex(tables[0]), hex(tables[1]));
            stdout.println("validation against /proc/iomem: " + (problems.isEmpty() ? "ok" : problems.size() + " problem(s)"));
            for (String p : problems) stdout.println("  - " + p);
            if (!problems.isEmpty()) return 1;
            if (kexec) {
                Kexec.load(plan.entry(), plan.segments().stream().map(s -> new Kexec.Segment(s.address(), s.bytes())).toList());
                stdout.println("loaded: reboot into it with 'kexec -e' or 'systemctl kexec'");
            } else {
                stdout.println("dry run: nothing loaded (use --kexec to load it)");
            }
        }
        return 0;
    }

    private static String hex(long v) {
        return v == 0 ? "unknown (scanned from the BIOS area at entry)" : String.format("0x%x", v);
    }

    /** ACPI20 and SMBIOS addresses from /sys/firmware/efi/systab (EFI-booted hosts), else 0. */
    static long[] hostTables() {
        long[] t = new long[2];
        try {
            for (String line : Files.readAllLines(Path.of("/sys/firmware/efi/systab"))) {
                if (line.startsWith("ACPI20=")) t[0] = Long.decode(line.substring(7).strip());
                if (line.startsWith("SMBIOS=")) t[1] = Long.decode(line.substring(7).strip());
            }
        } catch (IOException | NumberFormatException e) {
            // not an EFI-booted host: the trampoline scans the BIOS area instead
        }
        return t;
    }

    static String manifest(Handoff h, RunOutcome out) {
        StringBuilder b = new StringBuilder("{\n  \"entry32\": \"").append(String.format("0x%x", h.entry32()));
        b.append("\",\n  \"entry64\": \"").append(String.format("0x%x", h.entry64())).append("\",\n  \"segments\": [");
        for (int i = 0; i < h.segments().size(); i++) {
            Handoff.Segment s = h.segments().get(i);
            b.append(i == 0 ? "\n" : ",\n").append(String.format("    {\"address\": \"0x%x\", \"size\": %d}", s.address(), s.bytes().length));
        }
        b.append("\n  ],\n  \"registers\": {");
        int i = 0;
        for (Map.Entry<String, Long> e : out.handoff().registers().entrySet()) {
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
