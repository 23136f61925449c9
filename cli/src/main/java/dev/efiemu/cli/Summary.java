package dev.efiemu.cli;

import dev.efiemu.session.BootReport;
import java.io.PrintStream;
import java.util.Map;

/** The run summary: outcome, images, memory by type, configuration tables, variables written, unsupported calls, PCRs, timings. */
final class Summary {
    private Summary() {}

    static void print(PrintStream out, BootReport r) {
        out.println();
        out.println("== efiemu summary ==");
        out.println("outcome:        " + r.outcome().kind() + " — " + r.outcome().message());
        if (r.runCpuSeconds() >= 0) {
            out.printf("time:           %.3f s emulation (%.3f s CPU), %.3f s set-up%n", r.runSeconds(), r.runCpuSeconds(), r.setupSeconds());
        } else {
            out.printf("time:           %.3f s emulation, %.3f s set-up%n", r.runSeconds(), r.setupSeconds());
        }
        out.println("engine:         " + r.engine());
        if (r.engineFallback() != null) out.println("engine note:    --engine auto did not use " + r.engineFallback());
        out.println("service calls:  " + r.serviceCalls());
        long rss = PeakRss.bytes();
        out.printf("memory:         %d MiB backed in the engine (allocated RAM only)%s%n", r.backedBytes() >> 20,
                rss > 0 ? String.format(", efiemu peak RSS %d MiB", rss >> 20) : "");
        out.println("images loaded:");
        for (var i : r.images()) out.printf("  %-24s base 0x%x size 0x%x entry 0x%x%n", i.name(), i.base(), i.size(), i.entry());
        out.println("memory by type:");
        for (Map.Entry<String, Long> e : r.memoryByType().entrySet()) {
            out.printf("  %-12s %10d KiB%n", e.getKey(), e.getValue() / 1024);
        }
        out.println("configuration tables:");
        r.configTables().forEach((g, a) -> out.printf("  %-24s 0x%x%n", g, a));
        out.println("variables written:");
        if (r.variables().isEmpty()) out.println("  (none)");
        for (String v : r.variables()) out.println("  " + v);
        out.println("unsupported calls (every EFI_UNSUPPORTED answered, by service and argument):");
        if (r.unsupported().isEmpty()) out.println("  (none)");
        r.unsupported().forEach((n, c) -> out.printf("  %-40s %d%n", n, c));
        out.println("tpm:            " + r.tpm());
        for (String e : r.tpmErrors()) out.println("  TPM command failed (the payload got EFI_DEVICE_ERROR): " + e);
        out.println("PCRs (" + (r.tpm().startsWith("virtual") ? "virtual TPM" : "TPM") + ", " + r.events() + " events):");
        if (r.pcrs().isEmpty()) out.println("  (none measured)");
        for (BootReport.Pcr p : r.pcrs()) out.printf("  %2d %-6s %s%n", p.index(), p.bank(), p.hex());
    }

    /** The process's peak resident set (VmHWM), for the memory line; 0 where /proc does not tell. */
    static final class PeakRss {
        private PeakRss() {}

        static long bytes() {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmHWM:")) return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
                }
            } catch (java.io.IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }
    }
}
