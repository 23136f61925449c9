package dev.efiemu.core.tables;

import dev.efiemu.core.trap.Handler;
import java.util.HashMap;
import java.util.Map;

/** Collects the handlers of one services table (boot or runtime) before the table is written. */
public final class ServiceRegistry {
    record Entry(int argc, Handler handler) {}

    private final Map<String, Entry> entries = new HashMap<>();

    /** Registers the handler for the table slot {@code name} (spec name, e.g. "AllocatePages"). */
    public void add(String name, int argc, Handler handler) {
        entries.put(name, new Entry(argc, handler));
    }

    Entry get(String name) {
        return entries.get(name);
    }
}
