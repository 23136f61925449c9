package dev.efiemu.core.runtime;

import dev.efiemu.core.boot.EventServices;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineHalt;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.tables.RuntimeService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.Guid;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * Runtime services (UEFI spec §8): time from a fixed epoch plus the virtual clock (reproducible),
 * variables over {@link VariableStore}, ResetSystem ending the run. SetVirtualAddressMap and
 * capsules are left EFI_UNSUPPORTED, which Linux tolerates (after the hand-off it logs "Unable to
 * switch EFI into virtual mode" and boots on).
 */
public final class RuntimeServices {
    /** The wall clock the guest sees at virtual time 0. */
    public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    static final String[] RESET_TYPES = {"cold", "warm", "shutdown", "platform-specific"};

    /** EFI_GLOBAL_VARIABLE variables the payload may read but never write (UEFI spec §3.3, Table 3-1: "RO"). */
    static final java.util.Set<String> READ_ONLY_GLOBALS = java.util.Set.of("SecureBoot", "SetupMode", "AuditMode", "DeployedMode",
            "SignatureSupport", "VendorKeys", "PKDefault", "KEKDefault", "dbDefault", "dbxDefault", "dbtDefault", "dbrDefault");
    static final int AUTH = VariableStore.AUTHENTICATED_WRITE_ACCESS | VariableStore.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;

    /** The Secure Boot key databases (§32.3, §32.4.1): authenticated variables whether or not they exist yet. */
    static boolean isKeyDatabase(String name, Guid g) {
        return g.equals(Guids.GLOBAL_VARIABLE) && (name.equals("PK") || name.equals("KEK"))
                || g.equals(Guids.IMAGE_SECURITY_DATABASE) && (name.equals("db") || name.equals("dbx") || name.equals("dbt") || name.equals("dbr"));
    }

    private final Machine m;
    private final GuestMemory mem;
    private final VariableStore vars;
    private final EventServices events;
    /** What SetTime moved the clock by, in 100 ns units; the virtual clock keeps running underneath. */
    private long timeOffset;
    private long highMonotonic;

    /** @param events the virtual clock GetTime and SetTime read */
    public RuntimeServices(Machine m, VariableStore vars, EventServices events) {
        this.m = m;
        this.mem = m.memory();
        this.vars = vars;
        this.events = events;
    }

    public void register(ServiceRegistry<RuntimeService> r) {
        r.add(RuntimeService.GET_TIME, this::getTime);
        r.add(RuntimeService.SET_TIME, this::setTime);
        r.add(RuntimeService.GET_NEXT_HIGH_MONOTONIC_COUNT, c -> {
            if (c.arg(0) == 0) return Status.INVALID_PARAMETER;
            mem.u32(c.arg(0), ++highMonotonic);
            return Status.SUCCESS;
        });
        r.add(RuntimeService.GET_VARIABLE, this::getVariable);
        r.add(RuntimeService.GET_NEXT_VARIABLE_NAME, this::getNextVariableName);
        r.add(RuntimeService.SET_VARIABLE, this::setVariable);
        r.add(RuntimeService.QUERY_VARIABLE_INFO, this::queryVariableInfo);
        r.add(RuntimeService.RESET_SYSTEM, this::resetSystem);
    }

    /** EFI_TIME (§8.3.1): u16 Year, u8 Month, Day, Hour, Minute, Second, pad, u32 Nanosecond, i16 TimeZone, u8 Daylight, pad. */
    long getTime(Call c) {
        if (c.arg(0) == 0) return Status.INVALID_PARAMETER;
        long ticks = events.now() + timeOffset;
        ZonedDateTime t = EPOCH.plusNanos(ticks * 100).atZone(ZoneOffset.UTC);
        long a = c.arg(0);
        mem.u16(a, t.getYear());
        mem.u8(a + 2, t.getMonthValue());
        mem.u8(a + 3, t.getDayOfMonth());
        mem.u8(a + 4, t.getHour());
        mem.u8(a + 5, t.getMinute());
        mem.u8(a + 6, t.getSecond());
        mem.u8(a + 7, 0);
        mem.u32(a + 8, t.getNano());
        mem.u16(a + 12, 0x7ff); // EFI_UNSPECIFIED_TIMEZONE
        mem.u8(a + 14, 0);
        mem.u8(a + 15, 0);
        if (c.arg(1) != 0) {
            // EFI_TIME_CAPABILITIES {u32 Resolution, u32 Accuracy, BOOLEAN SetsToZero}
            mem.u32(c.arg(1), 1);
            mem.u32(c.arg(1) + 4, 50_000_000);
            mem.u8(c.arg(1) + 8, 0);
        }
        return Status.SUCCESS;
    }

    /** SetTime (§8.3.2): validates the EFI_TIME fields, then shifts the guest's wall clock. */
    long setTime(Call c) {
        long a = c.arg(0);
        if (a == 0) return Status.INVALID_PARAMETER;
        int year = mem.u16(a), month = mem.u8(a + 2), day = mem.u8(a + 3), hour = mem.u8(a + 4), minute = mem.u8(a + 5),
                second = mem.u8(a + 6);
        long nano = mem.u32(a + 8);
        try {
            ZonedDateTime t = ZonedDateTime.of(year, month, day, hour, minute, second, (int) nano, ZoneOffset.UTC);
            if (year < 1900 || year > 9999) return Status.INVALID_PARAMETER;
            long wanted = java.time.Duration.between(EPOCH, t.toInstant()).toNanos() / 100;
            timeOffset = wanted - events.now();
            c.note(t.toString());
            return Status.SUCCESS;
        } catch (java.time.DateTimeException | ArithmeticException e) {
            return Status.INVALID_PARAMETER;
        }
    }

    long getVariable(Call c) {
        long namePtr = c.arg(0), guidPtr = c.arg(1), attrPtr = c.arg(2), sizePtr = c.arg(3), data = c.arg(4);
        if (namePtr == 0 || guidPtr == 0 || sizePtr == 0) return Status.INVALID_PARAMETER;
        String name = mem.utf16z(namePtr, 1024);
        Guid g = mem.guid(guidPtr);
        c.note(Guids.name(g) + ":" + name);
        VariableStore.Variable v = vars.get(name, g);
        if (v == null || (!m.bootServicesActive() && (v.attributes() & VariableStore.RUNTIME_ACCESS) == 0)) return Status.NOT_FOUND;
        long have = mem.u64(sizePtr);
        mem.u64(sizePtr, v.data().length);
        if (attrPtr != 0) mem.u32(attrPtr, v.attributes());
        if (have < v.data().length) return Status.BUFFER_TOO_SMALL;
        if (data == 0) return Status.INVALID_PARAMETER;
        mem.write(data, v.data());
        return Status.SUCCESS;
    }

    long getNextVariableName(Call c) {
        long sizePtr = c.arg(0), namePtr = c.arg(1), guidPtr = c.arg(2);
        if (sizePtr == 0 || namePtr == 0 || guidPtr == 0) return Status.INVALID_PARAMETER;
        String current = mem.utf16z(namePtr, 1024);
        Guid g = mem.guid(guidPtr);
        var keys = vars.keys();
        int next;
        if (current.isEmpty()) {
            next = 0;
        } else {
            int i = keys.indexOf(new VariableStore.Key(current, g));
            if (i < 0) return Status.INVALID_PARAMETER;
            next = i + 1;
        }
        if (next >= keys.size()) return Status.NOT_FOUND;
        VariableStore.Key k = keys.get(next);
        byte[] enc = GuestMemory.utf16z(k.name());
        long have = mem.u64(sizePtr);
        mem.u64(sizePtr, enc.length);
        if (have < enc.length) return Status.BUFFER_TOO_SMALL;
        mem.write(namePtr, enc);
        mem.guid(guidPtr, k.vendor());
        return Status.SUCCESS;
    }

    long setVariable(Call c) {
        long namePtr = c.arg(0), guidPtr = c.arg(1), size = c.arg(3), data = c.arg(4);
        int attrs = (int) c.arg(2);
        if (namePtr == 0 || guidPtr == 0) return Status.INVALID_PARAMETER;
        String name = mem.utf16z(namePtr, 1024);
        Guid g = mem.guid(guidPtr);
        c.note(Guids.name(g) + ":" + name + " (" + size + " bytes, attrs 0x" + Integer.toHexString(attrs) + ")");
        if (name.isEmpty() || (size != 0 && data == 0) || Long.compareUnsigned(size, VariableStore.MAX_VARIABLE) > 0) return Status.INVALID_PARAMETER;
        if ((attrs & VariableStore.RUNTIME_ACCESS) != 0 && (attrs & VariableStore.BOOTSERVICE_ACCESS) == 0) {
            return Status.INVALID_PARAMETER; // §8.2 SetVariable: RT access requires BS access
        }
        VariableStore.Variable existing = vars.get(name, g);
        if (g.equals(Guids.GLOBAL_VARIABLE) && READ_ONLY_GLOBALS.contains(name)) {
            c.note("read-only");
            return Status.WRITE_PROTECTED; // §3.3: firmware-owned, no write or delete from the payload
        }
        boolean authenticated = (attrs & AUTH) != 0;
        if (!authenticated && (isKeyDatabase(name, g) || (existing != null && (existing.attributes() & AUTH) != 0))) {
            c.note("an authenticated variable needs an authenticated write");
            return Status.SECURITY_VIOLATION; // §8.2.1: PK, KEK, db, dbx... change only through a signed EFI_VARIABLE_AUTHENTICATION_2
        }
        if (authenticated) return c.unsupported("authenticated write of " + Guids.name(g) + ":" + name); // signatures are not verified
        if ((attrs & VariableStore.HARDWARE_ERROR_RECORD) != 0) return c.unsupported("HARDWARE_ERROR_RECORD");
        if (!m.bootServicesActive() && (attrs & VariableStore.RUNTIME_ACCESS) == 0 && size != 0) return Status.INVALID_PARAMETER;
        VariableStore.Variable old = existing;
        boolean append = (attrs & VariableStore.APPEND_WRITE) != 0;
        int plain = attrs & ~VariableStore.APPEND_WRITE;
        if (old != null && size != 0 && old.attributes() != plain && plain != 0) return Status.INVALID_PARAMETER;
        if (size == 0 && !append || plain == 0) {
            if (old == null) return Status.NOT_FOUND;
            vars.putByPayload(name, g, old.attributes(), new byte[0]);
            return Status.SUCCESS;
        }
        byte[] bytes = mem.read(data, (int) size);
        if (append && old != null) {
            byte[] joined = java.util.Arrays.copyOf(old.data(), old.data().length + bytes.length);
            System.arraycopy(bytes, 0, joined, old.data().length, bytes.length);
            bytes = joined;
        }
        if (vars.usedBytes() + bytes.length > VariableStore.MAX_STORAGE) return Status.OUT_OF_RESOURCES;
        vars.putByPayload(name, g, plain, bytes);
        return Status.SUCCESS;
    }

    long queryVariableInfo(Call c) {
        if (c.arg(1) == 0 || c.arg(2) == 0 || c.arg(3) == 0 || c.arg(0) == 0) return Status.INVALID_PARAMETER;
        mem.u64(c.arg(1), VariableStore.MAX_STORAGE);
        mem.u64(c.arg(2), Math.max(0, VariableStore.MAX_STORAGE - vars.usedBytes()));
        mem.u64(c.arg(3), VariableStore.MAX_VARIABLE);
        return Status.SUCCESS;
    }

    long resetSystem(Call c) {
        int type = (int) c.arg(0);
        String name = type >= 0 && type < RESET_TYPES.length ? RESET_TYPES[type] : "type " + type;
        throw new MachineHalt(new RunOutcome(RunOutcome.Kind.RESET, c.arg(1), null, null,
                "payload called ResetSystem(" + name + ", " + Status.name(c.arg(1)) + ")"));
    }
}
