package dev.efiemu.core.handles;

import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The protocol handler database (UEFI spec §7.3). Handles are created on the first install and
 * vanish when their last protocol is uninstalled. Host-side: the guest sees handles only as
 * opaque pointers into firmware-owned memory.
 */
public final class HandleDatabase {
    private final Map<Long, Handle> handles = new LinkedHashMap<>();
    private final LongSupplier newHandleAddress;
    /** RegisterProtocolNotify registrations: key -> (guid, event, handles already reported). */
    private final Map<Long, Notify> notifies = new LinkedHashMap<>();

    /** A RegisterProtocolNotify registration: which handles got the protocol since the last LocateHandle(ByRegisterNotify). */
    public static final class Notify {
        public final Guid guid;
        public final long event;
        public final List<Handle> fresh = new ArrayList<>();

        Notify(Guid guid, long event) {
            this.guid = guid;
            this.event = event;
        }
    }

    /** @param newHandleAddress gives a fresh guest address (a small firmware allocation) for each new handle */
    public HandleDatabase(LongSupplier newHandleAddress) {
        this.newHandleAddress = newHandleAddress;
    }

    public Handle get(long address) {
        return handles.get(address);
    }

    public Handle create() {
        Handle h = new Handle(newHandleAddress.getAsLong());
        handles.put(h.address(), h);
        return h;
    }

    /** Installs; returns false if the handle already has that protocol (EFI_INVALID_PARAMETER). Fires notifies. */
    public boolean install(Handle h, Guid guid, long iface, List<Notify> fired) {
        if (h.protocols.containsKey(guid)) return false;
        h.protocols.put(guid, new Handle.ProtocolEntry(guid, iface));
        announce(h, guid, fired);
        return true;
    }

    /** Tells the RegisterProtocolNotify registrations for {@code guid} that {@code h} has it (installed or reinstalled). */
    public void announce(Handle h, Guid guid, List<Notify> fired) {
        for (Notify n : notifies.values()) {
            if (n.guid.equals(guid)) {
                n.fresh.add(h);
                fired.add(n);
            }
        }
    }

    public void uninstall(Handle h, Guid guid) {
        h.protocols.remove(guid);
        if (h.protocols.isEmpty()) handles.remove(h.address());
    }

    public List<Handle> all() {
        return List.copyOf(handles.values());
    }

    public List<Handle> withProtocol(Guid g) {
        List<Handle> out = new ArrayList<>();
        for (Handle h : handles.values()) if (h.has(g)) out.add(h);
        return out;
    }

    public long registerNotify(long key, Guid guid, long event) {
        notifies.put(key, new Notify(guid, event));
        return key;
    }

    public Notify notify(long key) {
        return notifies.get(key);
    }

    public void forgetNotifiesOf(long event) {
        notifies.values().removeIf(n -> n.event == event);
    }
}
