package dev.efiemu.core.handles;

import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An EFI_HANDLE: an opaque guest address and the protocols installed on it, in installation order. */
public final class Handle {
    /** One protocol on a handle, with its open records (EFI_OPEN_PROTOCOL_INFORMATION_ENTRY, §7.3). */
    public static final class ProtocolEntry {
        public final Guid guid;
        public long iface;
        public final List<long[]> opens = new ArrayList<>(); // {agent, controller, attributes, count}

        ProtocolEntry(Guid guid, long iface) {
            this.guid = guid;
            this.iface = iface;
        }
    }

    private final long address;
    final Map<Guid, ProtocolEntry> protocols = new LinkedHashMap<>();

    Handle(long address) {
        this.address = address;
    }

    public long address() {
        return address;
    }

    public ProtocolEntry protocol(Guid g) {
        return protocols.get(g);
    }

    public boolean has(Guid g) {
        return protocols.containsKey(g);
    }

    public List<Guid> guids() {
        return List.copyOf(protocols.keySet());
    }

    @Override
    public String toString() {
        return String.format("Handle(0x%x)", address);
    }
}
