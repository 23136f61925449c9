package dev.efiemu.core.trap;

import java.util.List;

/**
 * One member of a protocol interface, declared once: its name (traces show "Protocol.Name"), its
 * handler (null makes it an EFI_UNSUPPORTED stub) and the spec's parameter names, This first,
 * which give its argument count and what the trace decoder shows (marks as for
 * {@link dev.efiemu.core.tables.TableService}).
 */
public record FunctionSpec(String name, Handler handler, List<String> params) {
    public FunctionSpec {
        params = List.copyOf(params);
    }

    public FunctionSpec(String name, Handler handler, String... params) {
        this(name, handler, List.of(params));
    }

    public int argc() {
        return params.size();
    }
}
