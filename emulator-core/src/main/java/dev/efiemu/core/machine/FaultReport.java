package dev.efiemu.core.machine;

import dev.efiemu.core.trap.ServiceTrace;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What the user sees when a guest goes wrong: the cause, the registers, where the program counter
 * and the faulting address are (image + RVA when inside a loaded image), the code bytes at the
 * program counter and the last service calls.
 */
public record FaultReport(String cause, long pc, String pcWhere, long address, String addressWhere, byte[] codeBytes,
                          Map<String, Long> registers, String returnWhere, List<ServiceTrace.Entry> lastCalls) {

    public String format() {
        StringBuilder b = new StringBuilder();
        b.append("guest fault: ").append(cause).append('\n');
        b.append(String.format("  pc      0x%016x  %s%n", pc, pcWhere));
        if (address != -1) b.append(String.format("  address 0x%016x  %s%n", address, addressWhere));
        if (returnWhere != null) b.append("  [sp]    ").append(returnWhere).append('\n');
        if (codeBytes != null) b.append("  bytes at pc: ").append(HexFormat.ofDelimiter(" ").formatHex(codeBytes)).append('\n');
        b.append("  registers:\n");
        int i = 0;
        for (Map.Entry<String, Long> e : registers.entrySet()) {
            b.append(String.format("    %-6s %016x", e.getKey(), e.getValue()));
            if (++i % 3 == 0) b.append('\n');
        }
        if (i % 3 != 0) b.append('\n');
        b.append("  last service calls:\n");
        if (lastCalls.isEmpty()) b.append("    (none)\n");
        for (ServiceTrace.Entry e : lastCalls) b.append("    ").append(e.format()).append('\n');
        return b.toString();
    }
}
