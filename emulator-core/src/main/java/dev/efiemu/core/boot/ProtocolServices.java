package dev.efiemu.core.boot;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.handles.HandleDatabase;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Protocol handler services (UEFI spec §7.3). */
public final class ProtocolServices {
    static final int BY_HANDLE_PROTOCOL = 1, GET_PROTOCOL = 2, TEST_PROTOCOL = 4, BY_CHILD_CONTROLLER = 8,
            BY_DRIVER = 0x10, EXCLUSIVE = 0x20;
    static final int ALL_HANDLES = 0, BY_REGISTER_NOTIFY = 1, BY_PROTOCOL = 2;
    static final int MAX_VARARG_PAIRS = 64;

    private final Machine m;
    private final GuestMemory mem;
    private final HandleDatabase db;
    private final EventServices events;
    private final Map<Guid, Long> guidCopies = new HashMap<>();

    public ProtocolServices(Machine m, EventServices events) {
        this.m = m;
        this.mem = m.memory();
        this.db = m.handles();
        this.events = events;
    }

    public void register(ServiceRegistry<BootService> r) {
        r.add(BootService.INSTALL_PROTOCOL_INTERFACE, c -> install(c, c.arg(0), c.arg(1), c.arg(3)));
        r.add(BootService.REINSTALL_PROTOCOL_INTERFACE, this::reinstall);
        r.add(BootService.UNINSTALL_PROTOCOL_INTERFACE, c -> uninstall(c, c.arg(0), c.arg(1), c.arg(2)));
        r.add(BootService.HANDLE_PROTOCOL, c -> open(c, c.arg(0), c.arg(1), c.arg(2), BY_HANDLE_PROTOCOL));
        r.add(BootService.OPEN_PROTOCOL, this::openProtocol);
        r.add(BootService.CLOSE_PROTOCOL, this::close);
        r.add(BootService.OPEN_PROTOCOL_INFORMATION, this::openInformation);
        r.add(BootService.PROTOCOLS_PER_HANDLE, this::protocolsPerHandle);
        r.add(BootService.REGISTER_PROTOCOL_NOTIFY, this::registerNotify);
        r.add(BootService.LOCATE_HANDLE, this::locateHandle);
        r.add(BootService.LOCATE_HANDLE_BUFFER, this::locateHandleBuffer);
        r.add(BootService.LOCATE_PROTOCOL, this::locateProtocol);
        r.add(BootService.LOCATE_DEVICE_PATH, this::locateDevicePath);
        r.add(BootService.INSTALL_MULTIPLE_PROTOCOL_INTERFACES, this::installMultiple);
        r.add(BootService.UNINSTALL_MULTIPLE_PROTOCOL_INTERFACES, this::uninstallMultiple);
    }

    private Guid guid(Call c, long ptr) {
        Guid g = mem.guid(ptr);
        c.note(Guids.name(g));
        return g;
    }

    long install(Call c, long handlePtr, long guidPtr, long iface) {
        if (handlePtr == 0 || guidPtr == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, guidPtr);
        long hv = mem.u64(handlePtr);
        Handle h;
        if (hv == 0) {
            h = db.create();
        } else {
            h = db.get(hv);
            if (h == null) return Status.INVALID_PARAMETER;
        }
        List<HandleDatabase.Notify> fired = new ArrayList<>();
        if (!db.install(h, g, iface, fired)) return Status.INVALID_PARAMETER;
        mem.u64(handlePtr, h.address());
        c.note(String.format("on 0x%x", h.address()));
        for (HandleDatabase.Notify n : fired) events.signal(n.event);
        return Status.SUCCESS;
    }

    /**
     * §7.3 ReinstallProtocolInterface: the new interface replaces the old, and every
     * RegisterProtocolNotify for the protocol is signalled as for an install. An interface a driver
     * holds (BY_DRIVER or EXCLUSIVE) would need DisconnectController, which efiemu does not have:
     * EFI_ACCESS_DENIED, as when the driver refuses to let go.
     */
    long reinstall(Call c) {
        Handle h = db.get(c.arg(0));
        if (h == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, c.arg(1));
        Handle.ProtocolEntry e = h.protocol(g);
        if (e == null || e.iface != c.arg(2)) return Status.NOT_FOUND;
        if (heldByDriver(e)) return Status.ACCESS_DENIED;
        e.iface = c.arg(3);
        List<HandleDatabase.Notify> fired = new ArrayList<>();
        db.announce(h, g, fired);
        for (HandleDatabase.Notify n : fired) events.signal(n.event);
        return Status.SUCCESS;
    }

    private static boolean heldByDriver(Handle.ProtocolEntry e) {
        return e.opens.stream().anyMatch(o -> (o[2] & (BY_DRIVER | EXCLUSIVE)) != 0);
    }

    long uninstall(Call c, long handle, long guidPtr, long iface) {
        Handle h = db.get(handle);
        if (h == null || guidPtr == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, guidPtr);
        Handle.ProtocolEntry e = h.protocol(g);
        if (e == null || e.iface != iface) return Status.NOT_FOUND;
        if (heldByDriver(e)) return Status.ACCESS_DENIED; // no DisconnectController to make the driver let go
        db.uninstall(h, g);
        return Status.SUCCESS;
    }

    /** HandleProtocol (§7.3): OpenProtocol BY_HANDLE_PROTOCOL without an agent, so nothing is recorded. */
    long open(Call c, long handle, long guidPtr, long ifacePtr, int attributes) {
        if (guidPtr == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, guidPtr);
        if (attributes != TEST_PROTOCOL && ifacePtr == 0) return Status.INVALID_PARAMETER;
        Handle h = db.get(handle);
        if (h == null) return Status.INVALID_PARAMETER;
        Handle.ProtocolEntry e = h.protocol(g);
        if (e == null) {
            if (ifacePtr != 0 && attributes != TEST_PROTOCOL) mem.u64(ifacePtr, 0);
            return c.unsupported(Guids.name(g)); // the spec's answer: the handle does not support it
        }
        if (attributes != TEST_PROTOCOL) mem.u64(ifacePtr, e.iface);
        return Status.SUCCESS;
    }

    /**
     * §7.3 OpenProtocol with its open records: BY_DRIVER and EXCLUSIVE opens exclude each other
     * (EFI_ALREADY_STARTED for the same driver and controller again, EFI_ACCESS_DENIED for another);
     * taking a protocol from a driver would need DisconnectController, which efiemu does not have, so
     * that is EFI_ACCESS_DENIED too. Opens by an agent are recorded (OpenProtocolInformation).
     */
    long openProtocol(Call c) {
        long handle = c.arg(0), guidPtr = c.arg(1), ifacePtr = c.arg(2), agent = c.arg(3), controller = c.arg(4);
        long attributes = c.arg(5);
        boolean driverOpen = attributes == BY_DRIVER || attributes == EXCLUSIVE || attributes == (BY_DRIVER | EXCLUSIVE);
        if (!driverOpen && attributes != BY_HANDLE_PROTOCOL && attributes != GET_PROTOCOL && attributes != TEST_PROTOCOL
                && attributes != BY_CHILD_CONTROLLER) {
            return Status.INVALID_PARAMETER;
        }
        if ((driverOpen || attributes == BY_CHILD_CONTROLLER) && db.get(agent) == null) return Status.INVALID_PARAMETER;
        if ((attributes & (BY_DRIVER | BY_CHILD_CONTROLLER)) != 0 && db.get(controller) == null) return Status.INVALID_PARAMETER;
        if (attributes == BY_CHILD_CONTROLLER && handle == controller) return Status.INVALID_PARAMETER;
        if (guidPtr == 0 || (attributes != TEST_PROTOCOL && ifacePtr == 0)) return Status.INVALID_PARAMETER;
        Handle h = db.get(handle);
        if (h == null) return Status.INVALID_PARAMETER;
        Guid g = guid(c, guidPtr);
        Handle.ProtocolEntry e = h.protocol(g);
        if (e == null) {
            if (attributes != TEST_PROTOCOL) mem.u64(ifacePtr, 0);
            return c.unsupported(Guids.name(g)); // the spec's answer: the handle does not support it
        }
        boolean exclusive = false, byDriver = false;
        long[] same = null;
        for (long[] o : e.opens) {
            boolean exact = o[0] == agent && o[1] == controller && o[2] == attributes;
            if ((o[2] & BY_DRIVER) != 0) {
                byDriver = true;
                if (exact) {
                    if (attributes != TEST_PROTOCOL) mem.u64(ifacePtr, e.iface);
                    return Status.ALREADY_STARTED; // with the interface, as for a bus driver
                }
            }
            if ((o[2] & EXCLUSIVE) != 0) exclusive = true;
            else if (exact) same = o;
        }
        if (same == null && driverOpen && (exclusive || byDriver)) {
            c.note(exclusive ? "opened EXCLUSIVE by another agent" : "opened BY_DRIVER by another agent (no DisconnectController)");
            return Status.ACCESS_DENIED; // the interface pointer is left as it was
        }
        if (attributes != TEST_PROTOCOL) mem.u64(ifacePtr, e.iface);
        if (agent == 0) return Status.SUCCESS;
        if (same != null) same[3]++;
        else e.opens.add(new long[] {agent, controller, attributes, 1});
        return Status.SUCCESS;
    }

    long close(Call c) {
        Handle h = db.get(c.arg(0));
        if (h == null || c.arg(1) == 0 || db.get(c.arg(2)) == null || (c.arg(3) != 0 && db.get(c.arg(3)) == null)) {
            return Status.INVALID_PARAMETER;
        }
        Handle.ProtocolEntry e = h.protocol(guid(c, c.arg(1)));
        if (e == null) return Status.NOT_FOUND;
        boolean removed = e.opens.removeIf(o -> o[0] == c.arg(2) && o[1] == c.arg(3));
        return removed ? Status.SUCCESS : Status.NOT_FOUND;
    }

    long openInformation(Call c) {
        Handle h = db.get(c.arg(0));
        if (h == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        Handle.ProtocolEntry e = h.protocol(guid(c, c.arg(1)));
        if (e == null) return Status.NOT_FOUND;
        // EFI_OPEN_PROTOCOL_INFORMATION_ENTRY {Agent, Controller, u32 Attributes, u32 OpenCount}
        long buf = m.allocateCallerPool(MemoryType.BOOT_SERVICES_DATA, Math.max(1, 24L * e.opens.size()));
        for (int i = 0; i < e.opens.size(); i++) {
            long[] o = e.opens.get(i);
            mem.u64(buf + 24L * i, o[0]);
            mem.u64(buf + 24L * i + 8, o[1]);
            mem.u32(buf + 24L * i + 16, o[2]);
            mem.u32(buf + 24L * i + 20, o[3]);
        }
        mem.u64(c.arg(2), buf);
        mem.u64(c.arg(3), e.opens.size());
        return Status.SUCCESS;
    }

    long protocolsPerHandle(Call c) {
        Handle h = db.get(c.arg(0));
        if (h == null || c.arg(1) == 0 || c.arg(2) == 0) return Status.INVALID_PARAMETER;
        List<Guid> gs = h.guids();
        long buf = m.allocateCallerPool(MemoryType.BOOT_SERVICES_DATA, Math.max(1, 8L * gs.size()));
        for (int i = 0; i < gs.size(); i++) mem.u64(buf + 8L * i, guidAddress(gs.get(i)));
        mem.u64(c.arg(1), buf);
        mem.u64(c.arg(2), gs.size());
        return Status.SUCCESS;
    }

    /** A firmware-owned copy of a GUID, for answers that return GUID pointers. */
    long guidAddress(Guid g) {
        return guidCopies.computeIfAbsent(g, k -> {
            long a = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 16);
            mem.guid(a, k);
            return a;
        });
    }

    long registerNotify(Call c) {
        if (c.arg(0) == 0 || c.arg(1) == 0 || c.arg(2) == 0) return Status.INVALID_PARAMETER;
        long key = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 8);
        db.registerNotify(key, guid(c, c.arg(0)), c.arg(1));
        mem.u64(c.arg(2), key);
        return Status.SUCCESS;
    }

    /** The handles a LocateHandle-style search finds, or null for a bad request. */
    private List<Handle> search(Call c, long type, long guidPtr, long key) {
        switch ((int) type) {
            case ALL_HANDLES:
                return db.all();
            case BY_PROTOCOL:
                if (guidPtr == 0) return null;
                return db.withProtocol(guid(c, guidPtr));
            case BY_REGISTER_NOTIFY: {
                HandleDatabase.Notify n = db.notify(key);
                if (n == null) return null;
                List<Handle> out = new ArrayList<>();
                if (!n.fresh.isEmpty()) out.add(n.fresh.remove(0)); // one handle per call (§7.3 LocateHandle)
                return out;
            }
            default:
                return null;
        }
    }

    long locateHandle(Call c) {
        long sizePtr = c.arg(3), buffer = c.arg(4);
        if (sizePtr == 0) return Status.INVALID_PARAMETER;
        List<Handle> hs = search(c, c.arg(0), c.arg(1), c.arg(2));
        if (hs == null) return Status.INVALID_PARAMETER;
        if (hs.isEmpty()) {
            mem.u64(sizePtr, 0);
            return Status.NOT_FOUND;
        }
        long need = 8L * hs.size();
        long have = mem.u64(sizePtr);
        mem.u64(sizePtr, need);
        if (have < need) return Status.BUFFER_TOO_SMALL;
        if (buffer == 0) return Status.INVALID_PARAMETER;
        for (int i = 0; i < hs.size(); i++) mem.u64(buffer + 8L * i, hs.get(i).address());
        c.note(hs.size() + " handles");
        return Status.SUCCESS;
    }

    long locateHandleBuffer(Call c) {
        long countPtr = c.arg(3), bufPtr = c.arg(4);
        if (countPtr == 0 || bufPtr == 0) return Status.INVALID_PARAMETER;
        List<Handle> hs = search(c, c.arg(0), c.arg(1), c.arg(2));
        if (hs == null) return Status.INVALID_PARAMETER;
        mem.u64(countPtr, hs.size());
        if (hs.isEmpty()) {
            mem.u64(bufPtr, 0);
            return Status.NOT_FOUND;
        }
        long buf = m.allocateCallerPool(MemoryType.BOOT_SERVICES_DATA, 8L * hs.size());
        for (int i = 0; i < hs.size(); i++) mem.u64(buf + 8L * i, hs.get(i).address());
        mem.u64(bufPtr, buf);
        c.note(hs.size() + " handles");
        return Status.SUCCESS;
    }

    long locateProtocol(Call c) {
        if (c.arg(0) == 0 || c.arg(2) == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, c.arg(0));
        List<Handle> hs;
        if (c.arg(1) != 0) {
            hs = search(c, BY_REGISTER_NOTIFY, 0, c.arg(1));
            if (hs == null) return Status.INVALID_PARAMETER;
        } else {
            hs = db.withProtocol(g);
        }
        if (hs.isEmpty()) {
            mem.u64(c.arg(2), 0);
            return Status.NOT_FOUND;
        }
        mem.u64(c.arg(2), hs.get(0).protocol(g).iface);
        return Status.SUCCESS;
    }

    /** §7.3 LocateDevicePath: the handle with the protocol whose device path is the longest prefix. */
    long locateDevicePath(Call c) {
        long guidPtr = c.arg(0), pathPtrPtr = c.arg(1), devicePtr = c.arg(2);
        if (guidPtr == 0 || pathPtrPtr == 0) return Status.INVALID_PARAMETER;
        Guid g = guid(c, guidPtr);
        long pathAddr = mem.u64(pathPtrPtr);
        if (pathAddr == 0) return Status.INVALID_PARAMETER;
        DevicePath path = DevicePath.read(mem, pathAddr);
        Handle best = null;
        int bestLen = -1;
        for (Handle h : db.withProtocol(g)) {
            Handle.ProtocolEntry dp = h.protocol(Guids.DEVICE_PATH);
            if (dp == null || dp.iface == 0) continue;
            DevicePath have = DevicePath.read(mem, dp.iface);
            int n = path.startsWith(have) ? have.byteLength() : -1;
            if (n > bestLen) {
                best = h;
                bestLen = n;
            }
        }
        if (best == null) return Status.NOT_FOUND;
        if (devicePtr == 0) return Status.INVALID_PARAMETER;
        mem.u64(devicePtr, best.address());
        mem.u64(pathPtrPtr, pathAddr + bestLen);
        return Status.SUCCESS;
    }

    long installMultiple(Call c) {
        long handlePtr = c.arg(0);
        if (handlePtr == 0) return Status.INVALID_PARAMETER;
        List<long[]> pairs = varargPairs(c);
        if (pairs == null) return Status.INVALID_PARAMETER;
        // §7.3: refuse a device path that is already installed on some handle.
        for (long[] p : pairs) {
            if (mem.guid(p[0]).equals(Guids.DEVICE_PATH) && p[1] != 0) {
                DevicePath want = DevicePath.read(mem, p[1]);
                for (Handle h : db.withProtocol(Guids.DEVICE_PATH)) {
                    if (want.equals(DevicePath.read(mem, h.protocol(Guids.DEVICE_PATH).iface))) return Status.ALREADY_STARTED;
                }
            }
        }
        long original = mem.u64(handlePtr);
        List<long[]> done = new ArrayList<>();
        for (long[] p : pairs) {
            long st = install(c, handlePtr, p[0], p[1]);
            if (st != Status.SUCCESS) {
                for (long[] d : done) uninstall(c, mem.u64(handlePtr), d[0], d[1]);
                mem.u64(handlePtr, original);
                return st;
            }
            done.add(p);
        }
        return Status.SUCCESS;
    }

    long uninstallMultiple(Call c) {
        long handle = c.arg(0);
        List<long[]> pairs = varargPairs(c);
        if (pairs == null || db.get(handle) == null) return Status.INVALID_PARAMETER;
        for (long[] p : pairs) {
            Handle h = db.get(handle);
            Handle.ProtocolEntry e = h == null ? null : h.protocol(mem.guid(p[0]));
            if (e == null || e.iface != p[1]) return Status.INVALID_PARAMETER;
        }
        for (long[] p : pairs) uninstall(c, handle, p[0], p[1]);
        return Status.SUCCESS;
    }

    /** The (GUID*, interface) pairs after the first argument, up to the terminating NULL. */
    private static List<long[]> varargPairs(Call c) {
        List<long[]> pairs = new ArrayList<>();
        for (int i = 1; i < 1 + 2 * MAX_VARARG_PAIRS; i += 2) {
            long g = c.arg(i);
            if (g == 0) return pairs;
            pairs.add(new long[] {g, c.arg(i + 1)});
        }
        return null;
    }
}
