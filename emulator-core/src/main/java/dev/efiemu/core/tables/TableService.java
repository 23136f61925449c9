package dev.efiemu.core.tables;

import java.util.List;

/**
 * A member of EFI_BOOT_SERVICES or EFI_RUNTIME_SERVICES, declared once (by {@link BootService} and
 * {@link RuntimeService}): its slot in the table, the spec's name and the spec's parameter names.
 * The table builder, the registration of handlers and the trace decoder all read them from there.
 *
 * <p>Parameter names are the spec's, with marks the trace decoder reads: a trailing {@code =} is a
 * size passed by value, {@code DevicePath*} a pointer to a device path pointer, and a last
 * parameter {@code ...} makes the service variadic.
 */
public sealed interface TableService permits BootService, RuntimeService {
    /** The name in the spec's table, e.g. "AllocatePages". */
    String specName();

    /** The spec's parameter names, in order. */
    List<String> params();

    /** The slot in the table: function pointer {@code slot} after the 24-byte header. */
    int ordinal();

    /** "BS" or "RT": the prefix of trace names. */
    String table();

    /** The name traces, summaries and filters use: "BS.AllocatePages". */
    default String traceName() {
        return table() + "." + specName();
    }

    /** The number of fixed arguments; -1 for a variadic service. */
    default int argc() {
        List<String> p = params();
        return !p.isEmpty() && p.get(p.size() - 1).equals("...") ? -1 : p.size();
    }

    /** The byte offset of the function pointer in its table. */
    default int offset() {
        return SystemTables.HEADER + 8 * ordinal();
    }
}
