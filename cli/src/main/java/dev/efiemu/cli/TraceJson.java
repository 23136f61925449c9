package dev.efiemu.cli;

import dev.efiemu.core.efi.Status;
import dev.efiemu.core.trap.ServiceTrace;
import dev.efiemu.loader.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One service call as a one-line JSON object (for --trace-json): seq, service, args, caller, then status and note when present. */
final class TraceJson {
    private TraceJson() {}

    static String of(ServiceTrace.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq());
        m.put("service", e.service());
        List<String> args = new ArrayList<>();
        for (long a : e.args()) args.add(String.format("0x%x", a));
        m.put("args", args);
        m.put("caller", String.format("0x%x", e.caller()));
        if (e.status() != null) m.put("status", Status.name(e.status()));
        if (!e.note().isEmpty()) m.put("note", e.note());
        return Json.line(m);
    }
}
