package dev.efiemu.core.runtime;

import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * UEFI variables (spec §8.2): (name, vendor GUID) -> attributes + data, in insertion order for
 * GetNextVariableName. Tracks what the payload wrote, for the run summary.
 */
public final class VariableStore {
    public static final int NON_VOLATILE = 1, BOOTSERVICE_ACCESS = 2, RUNTIME_ACCESS = 4, HARDWARE_ERROR_RECORD = 8,
            AUTHENTICATED_WRITE_ACCESS = 0x10, TIME_BASED_AUTHENTICATED_WRITE_ACCESS = 0x20, APPEND_WRITE = 0x40;
    public static final long MAX_STORAGE = 64 * 1024;
    public static final long MAX_VARIABLE = 32 * 1024;

    public record Key(String name, Guid vendor) {}

    public record Variable(int attributes, byte[] data) {}

    private final Map<Key, Variable> vars = new LinkedHashMap<>();
    private final List<Key> written = new ArrayList<>();

    public Variable get(String name, Guid vendor) {
        return vars.get(new Key(name, vendor));
    }

    /** Sets (or with empty data deletes) a variable as firmware, without the payload-facing checks. */
    public void put(String name, Guid vendor, int attributes, byte[] data) {
        Key k = new Key(name, vendor);
        if (data.length == 0) vars.remove(k);
        else vars.put(k, new Variable(attributes, data.clone()));
    }

    /** A write by the payload, recorded for the summary. */
    public void putByPayload(String name, Guid vendor, int attributes, byte[] data) {
        put(name, vendor, attributes, data);
        Key k = new Key(name, vendor);
        written.remove(k);
        written.add(k);
    }

    public List<Key> keys() {
        return List.copyOf(vars.keySet());
    }

    public List<Key> writtenByPayload() {
        return List.copyOf(written);
    }

    public long usedBytes() {
        long n = 0;
        for (Map.Entry<Key, Variable> e : vars.entrySet()) n += 2L * e.getKey().name().length() + 2 + e.getValue().data().length + 32;
        return n;
    }
}
