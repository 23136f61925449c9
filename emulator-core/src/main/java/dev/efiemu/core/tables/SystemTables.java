package dev.efiemu.core.tables;

import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Handler;
import dev.efiemu.core.trap.Service;
import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * EFI_SYSTEM_TABLE, EFI_BOOT_SERVICES and EFI_RUNTIME_SERVICES in guest memory (UEFI spec §4.2–§4.6):
 * signatures, revisions, CRC32s, the console handles and the configuration table. The system and
 * runtime tables are RuntimeServicesData, the boot services table BootServicesData.
 */
public final class SystemTables {
    public static final long SYSTEM_TABLE_SIGNATURE = 0x5453595320494249L; // "IBI SYST"
    public static final long BOOT_SERVICES_SIGNATURE = 0x56524553544f4f42L; // "BOOTSERV"
    public static final long RUNTIME_SERVICES_SIGNATURE = 0x56524553544e5552L; // "RUNTSERV"
    public static final int REVISION = (2 << 16) | 100; // UEFI 2.10
    public static final String VENDOR = "efiemu";
    public static final int FIRMWARE_REVISION = 0x00010000;

    static final int HEADER = 24;
    // EFI_SYSTEM_TABLE field offsets (§4.3.1)
    static final int ST_VENDOR = 24, ST_FW_REVISION = 32, ST_CON_IN_HANDLE = 40, ST_CON_IN = 48, ST_CON_OUT_HANDLE = 56,
            ST_CON_OUT = 64, ST_STDERR_HANDLE = 72, ST_STDERR = 80, ST_RUNTIME = 88, ST_BOOT = 96, ST_NTABLES = 104,
            ST_TABLES = 112, ST_SIZE = 120;

    private final Machine machine;
    private final GuestMemory mem;
    private final long systemTable;
    private final long bootServices;
    private final long runtimeServices;
    private final Map<Guid, Long> configTables = new LinkedHashMap<>();
    private final List<TableService> unimplemented = new ArrayList<>();
    private boolean servicesWritten;
    private long configArray;
    private int configCapacity;

    /**
     * Allocates the three tables and writes the system table. The services tables get their
     * members from {@link #writeServices} once the service groups, which need these tables, have
     * registered their handlers.
     */
    public SystemTables(Machine machine) {
        this.machine = machine;
        this.mem = machine.memory();
        runtimeServices = machine.allocatePool(MemoryType.RUNTIME_SERVICES_DATA, HEADER + 8L * RuntimeService.values().length);
        bootServices = machine.allocatePool(MemoryType.BOOT_SERVICES_DATA, HEADER + 8L * BootService.values().length);
        long vendor = machine.allocatePool(MemoryType.RUNTIME_SERVICES_DATA, 2L * VENDOR.length() + 2);
        mem.write(vendor, GuestMemory.utf16z(VENDOR));
        systemTable = machine.allocatePool(MemoryType.RUNTIME_SERVICES_DATA, ST_SIZE);
        mem.u64(systemTable, SYSTEM_TABLE_SIGNATURE);
        mem.u32(systemTable + 8, REVISION);
        mem.u32(systemTable + 12, ST_SIZE);
        mem.u64(systemTable + ST_VENDOR, vendor);
        mem.u32(systemTable + ST_FW_REVISION, FIRMWARE_REVISION);
        mem.u64(systemTable + ST_RUNTIME, runtimeServices);
        mem.u64(systemTable + ST_BOOT, bootServices);
        updateCrc(systemTable);
    }

    /** Writes EFI_RUNTIME_SERVICES and EFI_BOOT_SERVICES (once): a stub for every member, with its registered handler. */
    public void writeServices(ServiceRegistry<BootService> boot, ServiceRegistry<RuntimeService> runtime) {
        if (servicesWritten) throw new IllegalStateException("the services tables are already written");
        servicesWritten = true;
        writeTable(runtimeServices, RUNTIME_SERVICES_SIGNATURE, RuntimeService.values(), runtime);
        writeTable(bootServices, BOOT_SERVICES_SIGNATURE, BootService.values(), boot);
    }

    /** Writes a services table: one stub per member, the registered handler's or EFI_UNSUPPORTED. */
    private <S extends Enum<S> & TableService> void writeTable(long at, long signature, S[] services, ServiceRegistry<S> reg) {
        mem.u64(at, signature);
        mem.u32(at + 8, REVISION);
        mem.u32(at + 12, HEADER + 8L * services.length);
        for (S service : services) {
            Handler h = reg.get(service);
            if (h == null) unimplemented.add(service);
            Service s = h == null
                    ? machine.traps().unsupported(service.traceName(), service.argc(), service.params())
                    : machine.traps().define(service.traceName(), service.argc(), service.params(), h);
            mem.u64(at + service.offset(), s.address());
        }
        updateCrc(at);
    }

    /** The table services no handler was registered for (EFI_UNSUPPORTED stubs), runtime services first. */
    public List<TableService> unimplemented() {
        return List.copyOf(unimplemented);
    }

    /** Recomputes a table header's CRC32 over HeaderSize bytes with the CRC field zeroed (§4.2.1). */
    public void updateCrc(long table) {
        int size = (int) mem.u32(table + 12);
        mem.u32(table + 16, 0);
        CRC32 crc = new CRC32();
        crc.update(mem.read(table, size));
        mem.u32(table + 16, crc.getValue());
    }

    public long systemTable() {
        return systemTable;
    }

    public long bootServices() {
        return bootServices;
    }

    public long runtimeServices() {
        return runtimeServices;
    }

    /** Sets ConIn/ConOut/StdErr (handles and interfaces); 0 leaves a slot as it is. */
    public void setConsoles(long inHandle, long in, long outHandle, long out, long errHandle, long err) {
        if (inHandle != 0) mem.u64(systemTable + ST_CON_IN_HANDLE, inHandle);
        if (in != 0) mem.u64(systemTable + ST_CON_IN, in);
        if (outHandle != 0) mem.u64(systemTable + ST_CON_OUT_HANDLE, outHandle);
        if (out != 0) mem.u64(systemTable + ST_CON_OUT, out);
        if (errHandle != 0) mem.u64(systemTable + ST_STDERR_HANDLE, errHandle);
        if (err != 0) mem.u64(systemTable + ST_STDERR, err);
        updateCrc(systemTable);
    }

    /**
     * InstallConfigurationTable semantics (§7.5): adds or replaces; address 0 removes.
     *
     * @return false when removing a table that is not there (EFI_NOT_FOUND)
     */
    public boolean installConfigTable(Guid guid, long address) {
        if (address == 0) {
            if (configTables.remove(guid) == null) return false;
        } else {
            configTables.put(guid, address);
        }
        rewriteConfigTables();
        return true;
    }

    /**
     * An entry whose VendorTable is 0 for now (payloads treat it as absent) and is filled in at
     * the hand-off, where the real table is found (ACPI and SMBIOS: on an EFI boot Linux looks for
     * them only in the configuration tables; docs/handoff.md).
     */
    public void reserveConfigTable(Guid guid) {
        configTables.put(guid, 0L);
        rewriteConfigTables();
    }

    /** The guest address of the VendorTable field of {@code guid}'s entry, or 0. */
    public long configTableSlot(Guid guid) {
        int i = 0;
        for (Guid g : configTables.keySet()) {
            if (g.equals(guid)) return configArray + 24L * i + 16;
            i++;
        }
        return 0;
    }

    private void rewriteConfigTables() {
        if (configTables.size() > configCapacity) {
            int cap = Math.max(16, configCapacity * 2);
            long array = machine.allocatePool(MemoryType.RUNTIME_SERVICES_DATA, 24L * cap);
            if (configArray != 0) machine.pool().free(configArray);
            configArray = array;
            configCapacity = cap;
        }
        int i = 0;
        for (Map.Entry<Guid, Long> e : configTables.entrySet()) {
            mem.guid(configArray + 24L * i, e.getKey());
            mem.u64(configArray + 24L * i + 16, e.getValue());
            i++;
        }
        mem.u64(systemTable + ST_NTABLES, configTables.size());
        mem.u64(systemTable + ST_TABLES, configArray);
        updateCrc(systemTable);
    }

    /** The configuration tables in table order. */
    public Map<Guid, Long> configTables() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configTables));
    }

    /** The EFI_CONFIGURATION_TABLE array's address (it moves when the table grows). */
    public long configArray() {
        return configArray;
    }
}
