package dev.efiemu.core.debug;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.trap.Service;
import dev.efiemu.loader.Guid;
import java.util.List;

/**
 * Decodes a firmware call as the guest made it, before its handler runs: the spec's parameter
 * names with the values, and what the pointers point at where that helps (GUIDs by name, device
 * paths, CHAR16 strings, memory types). Used when a debugger stops on a service.
 */
public final class ServiceCalls {
    private ServiceCalls() {}

    /**
     * The call that just entered {@code service}'s stub, decoded:
     * {@code BS.LoadImage(BootPolicy=FALSE, ..., SourceSize=0xd877c0 (14186432), ...) from uki.efi+0x4f21}.
     */
    public static String describe(Machine machine, Service service) {
        List<String> names = service.params();
        int n = service.argc() >= 0 ? service.argc() : -1;
        StringBuilder b = new StringBuilder(service.name()).append('(');
        if (n < 0) {
            varargs(machine, b);
        } else {
            for (int i = 0; i < n; i++) {
                if (i > 0) b.append(", ");
                String name = i < names.size() ? names.get(i) : i == 0 ? "This" : "arg" + i;
                long v = arg(machine, i);
                b.append(name.replace("=", "").replace("*", "")).append('=').append(value(machine, service.name(), name, v));
            }
        }
        b.append(')');
        try {
            long ret = machine.abi().returnAddress(machine.cpu());
            b.append(" from ").append(machine.where(ret));
        } catch (RuntimeException e) {
            // no readable return address
        }
        return b.toString();
    }

    private static long arg(Machine m, int i) {
        try {
            return m.abi().arg(m.cpu(), i);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Install/UninstallMultipleProtocolInterfaces: Handle*, then (GUID*, Interface) pairs up to a NULL GUID. */
    private static void varargs(Machine m, StringBuilder b) {
        b.append("Handle=").append(hex(arg(m, 0)));
        for (int i = 1; i < 1 + 2 * 8; i += 2) {
            long g = arg(m, i);
            b.append(", ");
            if (g == 0) {
                b.append("NULL");
                return;
            }
            b.append(guidAt(m.memory(), g)).append('=').append(hex(arg(m, i + 1)));
        }
        b.append(", ...");
    }

    private static String value(Machine m, String service, String param, long v) {
        String h = hex(v);
        GuestMemory mem = m.memory();
        try {
            switch (param) {
                case "BootPolicy", "Recursive":
                    return v == 0 ? "FALSE" : "TRUE";
                case "MemoryType", "PoolType": {
                    MemoryType t = MemoryType.of(v);
                    return h + (t != null ? " " + t.shortName() : "");
                }
                case "Type":
                    if (service.equals(BootService.ALLOCATE_PAGES.traceName())) {
                        String[] types = {"AllocateAnyPages", "AllocateMaxAddress", "AllocateAddress"};
                        return h + (v >= 0 && v < types.length ? " " + types[(int) v] : "");
                    }
                    return h;
                case "Protocol", "VendorGuid", "Guid", "EventGroup", "InformationType", "RNGAlgorithm":
                    return v == 0 ? "NULL" : h + " " + guidAt(mem, v);
                case "DevicePath", "FilePath", "RemainingDevicePath":
                    return v == 0 ? "NULL" : h + " " + devicePathText(mem, v);
                case "DevicePath*":
                    return v == 0 ? "NULL" : h + " -> " + devicePathText(mem, mem.u64(v));
                case "VariableName", "String", "FileName": {
                    if (v == 0) return "NULL";
                    String s = mem.utf16z(v, 256);
                    return h + " \"" + printable(s) + "\"";
                }
                case "SourceSize", "Pages", "Size", "DataSize=", "RNGValueLength=", "DataToHashLen=", "Microseconds":
                    return v > 9 ? h + " (" + Long.toUnsignedString(v) + ")" : h;
                default:
                    return h;
            }
        } catch (RuntimeException e) {
            return h + " <unreadable>";
        }
    }

    private static String guidAt(GuestMemory mem, long address) {
        try {
            Guid g = mem.guid(address);
            return Guids.name(g);
        } catch (RuntimeException e) {
            return "<unreadable GUID>";
        }
    }

    /** A device path's text form (UEFI spec §10.6 style), or what is wrong with it. */
    static String devicePathText(GuestMemory mem, long address) {
        if (address == 0) return "NULL";
        try {
            return DevicePath.read(mem, address).toString();
        } catch (IllegalArgumentException e) {
            return "<bad device path: " + e.getMessage() + ">";
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '"') b.append("\\\"");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
