package dev.efiemu.cli;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.Machine;
import dev.efiemu.core.RunOutcome;
import dev.efiemu.core.runtime.VariableStore;
import java.io.PrintStream;
import java.util.Map;

/** The run summary: outcome, images, memory by type, configuration tables, variables written, unsupported calls, timings. */
final class Summary {
    private Summary() {}

    /** PCRs that the run changed, per bank. */
    static void printPcrs(PrintStream out, dev.efiemu.protocols.EventLog log) {
        out.println("PCRs (virtual TPM, " + log.events().size() + " events):");
        java.util.Set<Integer> touched = new java.util.TreeSet<>();
        for (var e : log.events()) touched.add(e.pcr());
        if (touched.isEmpty()) out.println("  (none measured)");
        for (int pcr : touched) {
            for (var bank : log.banks()) {
                out.printf("  %2d %-6s %s%n", pcr, bank.name().toLowerCase(), java.util.HexFormat.of().formatHex(log.pcr(bank, pcr)));
            }
        }
    }

    static void print(PrintStream out, Firmware fw, RunOutcome o, double setupSeconds, double runSeconds) {
        Machine m = fw.machine();
        out.println();
        out.println("== efiemu summary ==");
        out.println("outcome:        " + o.kind() + " — " + o.message());
        out.printf("time:           %.3f s emulation, %.3f s set-up%n", runSeconds, setupSeconds);
        out.println("engine:         " + m.cpu().engine());
        out.println("service calls:  " + m.trace().total());
        out.println("images loaded:");
        for (var i : m.images()) out.printf("  %-24s base 0x%x size 0x%x entry 0x%x%n", i.name(), i.base(), i.size(), i.entry());
        out.println("memory by type:");
        for (Map.Entry<String, Long> e : m.memoryMap().bytesByType().entrySet()) {
            out.printf("  %-12s %10d KiB%n", e.getKey(), e.getValue() / 1024);
        }
        out.println("configuration tables:");
        fw.tables().configTables().forEach((g, a) -> out.printf("  %-24s 0x%x%n", dev.efiemu.core.Guids.name(g), a));
        out.println("variables written:");
        var written = fw.variables().writtenByPayload();
        if (written.isEmpty()) out.println("  (none)");
        for (VariableStore.Key k : written) {
            var v = fw.variables().get(k.name(), k.vendor());
            out.printf("  %s:%s (%s)%n", dev.efiemu.core.Guids.name(k.vendor()), k.name(), v == null ? "deleted" : v.data().length + " bytes");
        }
        out.println("unsupported calls (every EFI_UNSUPPORTED answered, by service and argument):");
        if (m.traps().unsupportedCalls().isEmpty()) out.println("  (none)");
        m.traps().unsupportedCalls().forEach((n, c) -> out.printf("  %-40s %d%n", n, c));
    }
}
