package dev.efiemu.cli;

import dev.efiemu.core.Status;
import dev.efiemu.core.trap.ServiceTrace;

/** One service call as a JSON object (for --trace-json). */
final class TraceJson {
    private TraceJson() {}

    static String of(ServiceTrace.Entry e) {
        StringBuilder b = new StringBuilder("{\"seq\":").append(e.seq()).append(",\"service\":").append(str(e.service()));
        b.append(",\"args\":[");
        for (int i = 0; i < e.args().length; i++) b.append(i == 0 ? "" : ",").append(str(String.format("0x%x", e.args()[i])));
        b.append("],\"caller\":").append(str(String.format("0x%x", e.caller())));
        if (e.status() != null) b.append(",\"status\":").append(str(Status.name(e.status())));
        if (!e.note().isEmpty()) b.append(",\"note\":").append(str(e.note()));
        return b.append('}').toString();
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
