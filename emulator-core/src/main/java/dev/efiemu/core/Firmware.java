package dev.efiemu.core;

import dev.efiemu.core.boot.EventServices;
import dev.efiemu.core.boot.ImageServices;
import dev.efiemu.core.boot.MemoryServices;
import dev.efiemu.core.boot.MiscServices;
import dev.efiemu.core.boot.ProtocolServices;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.handoff.Aarch64Trampoline;
import dev.efiemu.core.handoff.Trampoline;
import dev.efiemu.core.image.ImageFile;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.runtime.RuntimeServices;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.RuntimeService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.tables.SystemTables;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.core.trap.Service;
import dev.efiemu.core.trap.TrapDispatcher;
import dev.efiemu.core.x86.X86Platform;
import dev.efiemu.cpu.Arch;
import dev.efiemu.loader.Guid;
import java.util.List;
import java.util.function.Function;

/**
 * A machine with the UEFI core in place: system table, boot and runtime services, the platform's
 * CPU set-up and the configuration tables every firmware has. Protocols (console, file systems,
 * TCG2, ...) are added by the protocols module before the payload starts, through this class's
 * {@link ProtocolHost} side.
 */
public final class Firmware implements ProtocolHost, AutoCloseable {
    private final Machine machine;
    private final SystemTables tables;
    private final EventServices events;
    private final ImageServices images;
    private final VariableStore variables = new VariableStore();
    private final Trampoline trampoline;
    private final Aarch64Trampoline aarch64Trampoline;

    public Firmware(MachineConfig config, Function<byte[], ImageFile> peParser) {
        this.machine = new Machine(config);
        this.events = new EventServices(machine);
        if (config.arch() == Arch.X86_64) X86Platform.install(machine, events::now);
        // The tables come first: service groups need them. Their members are written once every
        // group has registered its handlers.
        this.tables = new SystemTables(machine);
        ServiceRegistry<BootService> boot = new ServiceRegistry<>(BootService.class);
        ServiceRegistry<RuntimeService> runtime = new ServiceRegistry<>(RuntimeService.class);
        new MemoryServices(machine).register(boot);
        events.register(boot);
        new ProtocolServices(machine, events).register(boot);
        new MiscServices(machine, tables).register(boot);
        images = new ImageServices(machine, tables, events, peParser);
        images.register(boot);
        new RuntimeServices(machine, variables, events).register(runtime);
        tables.writeServices(boot, runtime);
        installRtProperties();
        if (config.arch() == Arch.X86_64) {
            trampoline = Trampoline.reserve(machine);
            // Filled in at the hand-off from the real machine's tables (docs/handoff.md).
            tables.reserveConfigTable(Guids.ACPI_20_TABLE);
            tables.reserveConfigTable(Guids.SMBIOS_TABLE);
            aarch64Trampoline = null;
        } else {
            trampoline = null;
            aarch64Trampoline = Aarch64Trampoline.reserve(machine);
        }
    }

    /** The hand-off trampoline (x86_64), reserved in RuntimeServicesCode when the machine was built; null on AArch64. */
    public Trampoline trampoline() {
        return trampoline;
    }

    /** The AArch64 hand-off trampoline with its identity tables; null on x86_64. */
    public Aarch64Trampoline aarch64Trampoline() {
        return aarch64Trampoline;
    }

    /**
     * EFI_RT_PROPERTIES_TABLE (§4.6.2) {u16 Version = 1; u16 Length = 8; u32
     * RuntimeServicesSupported = 0}: no runtime service works after the hand-off.
     */
    private void installRtProperties() {
        long t = machine.allocatePool(MemoryType.RUNTIME_SERVICES_DATA, 8);
        machine.memory().u16(t, 1);
        machine.memory().u16(t + 2, 8);
        machine.memory().u32(t + 4, 0);
        tables.installConfigTable(Guids.RT_PROPERTIES_TABLE, t);
    }

    public Machine machine() {
        return machine;
    }

    public SystemTables tables() {
        return tables;
    }

    public ImageServices images() {
        return images;
    }

    public VariableStore variables() {
        return variables;
    }

    public MachineConfig config() {
        return machine.config();
    }

    // ---- ProtocolHost ----

    @Override
    public GuestMemory memory() {
        return machine.memory();
    }

    @Override
    public long allocatePool(MemoryType type, long size) {
        return machine.allocatePool(type, size);
    }

    @Override
    public long allocateCallerPool(MemoryType type, long size) {
        return machine.allocateCallerPool(type, size);
    }

    @Override
    public Handle installProtocol(Handle handle, Guid guid, long iface) {
        return machine.installProtocol(handle, guid, iface);
    }

    @Override
    public long[] defineFunctions(String protocol, List<FunctionSpec> functions) {
        TrapDispatcher traps = machine.traps();
        long[] addresses = new long[functions.size()];
        for (int i = 0; i < functions.size(); i++) {
            FunctionSpec f = functions.get(i);
            Service s = f.handler() == null
                    ? traps.unsupported(protocol + "." + f.name(), f.argc(), f.params())
                    : traps.define(protocol + "." + f.name(), f.argc(), f.params(), f.handler());
            addresses[i] = s.address();
        }
        return addresses;
    }

    @Override
    public long newInterface(long[] fields, int extraBytes) {
        long iface = machine.allocatePool(MemoryType.BOOT_SERVICES_DATA, 8L * fields.length + extraBytes);
        for (int i = 0; i < fields.length; i++) machine.memory().u64(iface + 8L * i, fields[i]);
        return iface;
    }

    @Override
    public long createEvent() {
        return events.createFirmwareEvent();
    }

    @Override
    public void observeBoot(dev.efiemu.core.boot.BootObserver o) {
        images.observe(o);
    }

    @Override
    public long createEvent(java.util.function.BooleanSupplier ready) {
        return events.createFirmwareEvent(ready);
    }

    @Override
    public void signalEvent(long event) {
        events.signal(event);
    }

    @Override
    public long now() {
        return events.now();
    }

    @Override
    public void advanceTime(long ticks) {
        events.advance(ticks);
    }

    @Override
    public void installConfigTable(Guid guid, long table) {
        tables.installConfigTable(guid, table);
    }

    @Override
    public void serveFiles(Handle device, ImageServices.FileReader files) {
        images.serveFiles(device, files);
    }

    @Override
    public long reserveFramebuffer(long bytes) {
        long pages = (bytes + dev.efiemu.core.memory.MemoryMap.PAGE - 1) / dev.efiemu.core.memory.MemoryMap.PAGE;
        var map = machine.memoryMap();
        long base = map.allocate(dev.efiemu.core.memory.MemoryMap.AllocateType.MAX_ADDRESS, MemoryType.RESERVED.code(), pages, 0xffffffffL);
        map.retype(base, pages * dev.efiemu.core.memory.MemoryMap.PAGE, MemoryType.RESERVED.code(), true);
        machine.memory().fill(base, pages * dev.efiemu.core.memory.MemoryMap.PAGE, 0);
        return base;
    }

    @Override
    public void mapDeviceMemory(long base, long bytes) {
        long page = dev.efiemu.core.memory.MemoryMap.PAGE;
        long start = base & -page, end = (base + bytes + page - 1) & -page;
        machine.cpu().map(start, end - start, dev.efiemu.cpu.Perm.ALL);
    }

    @Override
    public dev.efiemu.core.display.Display display() {
        return machine.display();
    }

    /**
     * Loads the payload as the first image (its parent is the firmware itself) with {@code cmdline}
     * as its LoadOptions, starts it, and runs until it returns, exits the boot services, resets or
     * faults.
     */
    public RunOutcome runPayload(byte[] file, String name, String cmdline, long deviceHandle, DevicePath devicePath) {
        return machine.run(() -> {
            // As a boot manager boots a boot option (edk2 EfiBootManagerBoot): ReadyToBoot, then LoadImage, then StartImage.
            for (var o : images.observers()) o.readyToBoot();
            LoadedImageRecord rec = images.load(file, name, 0, deviceHandle, devicePath);
            if (cmdline != null) images.setLoadOptions(rec, cmdline);
            return images.start(rec, 0, 0);
        });
    }

    @Override
    public void close() {
        machine.close();
    }
}
