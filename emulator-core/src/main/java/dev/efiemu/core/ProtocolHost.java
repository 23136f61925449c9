package dev.efiemu.core;

import dev.efiemu.core.boot.ImageServices;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.util.List;

/**
 * What a protocol implementation (the protocols module) may use of the firmware: guest memory,
 * pool memory, the handle database, trapped interface functions, firmware events and the virtual
 * clock, configuration tables, and LoadImage by device path. {@link Firmware} implements it;
 * protocols never see the {@link Machine}.
 */
public interface ProtocolHost {
    /** Guest memory, through typed accessors. */
    GuestMemory memory();

    /** Firmware-owned pool memory of {@code type}, zeroed. */
    long allocatePool(MemoryType type, long size);

    /** Zeroed pool memory handed to the payload, which frees it with FreePool (GOP QueryMode's Info and the like). */
    long allocateCallerPool(MemoryType type, long size);

    /** Installs a protocol on {@code handle} (a new handle when null), as firmware-internal code; returns the handle. */
    Handle installProtocol(Handle handle, Guid guid, long iface);

    /** Writes {@code path} into BootServicesData pool: the interface of an EFI_DEVICE_PATH_PROTOCOL to install. */
    default long writeDevicePath(DevicePath path) {
        byte[] bytes = path.bytes();
        long at = allocatePool(MemoryType.BOOT_SERVICES_DATA, bytes.length);
        memory().write(at, bytes);
        return at;
    }

    /**
     * Defines the members of a protocol once (one trapped stub each, "Protocol.Member" in traces),
     * for protocols with many instances (every open EFI_FILE_PROTOCOL) that share them through
     * {@link #newInterface(long[], int)}. Returns the stubs' addresses.
     */
    long[] defineFunctions(String protocol, List<FunctionSpec> functions);

    /** An interface structure in BootServicesData: {@code fields} (function pointers, revisions), then {@code extraBytes} zeroed bytes. */
    long newInterface(long[] fields, int extraBytes);

    /**
     * Builds a protocol interface: a structure of function pointers (each a trapped service) in
     * BootServicesData, with {@code extraBytes} of zeroed data after them. Returns its address.
     */
    default long newInterface(String protocol, List<FunctionSpec> functions, int extraBytes) {
        return newInterface(defineFunctions(protocol, functions), extraBytes);
    }

    /** A plain wait event owned by the firmware (no notify function), e.g. ConIn.WaitForKey. */
    long createEvent();

    /**
     * A firmware wait event that is signalled whenever {@code ready} is true when the payload checks
     * or waits on it (ConIn.WaitForKey: a key is pending), not only once.
     */
    long createEvent(java.util.function.BooleanSupplier ready);

    /** SignalEvent (UEFI spec §7.1) from the firmware side. */
    void signalEvent(long event);

    /** The virtual clock, in 100 ns units: time passes only when the payload stalls, waits or polls. */
    long now();

    /** Lets {@code ticks} (100 ns units) of virtual time pass, firing timers as they fall due. */
    void advanceTime(long ticks);

    /** InstallConfigurationTable (UEFI spec §7.5) from the firmware side. */
    void installConfigTable(Guid guid, long table);

    /**
     * Lets LoadImage read images by device path from {@code device}'s files: a path that starts
     * with the device's own path and continues with file path nodes. Each device serves its own.
     */
    void serveFiles(Handle device, ImageServices.FileReader files);

    /** Tells {@code o} about images loaded, ReadyToBoot and ExitBootServices (measured boot). */
    void observeBoot(dev.efiemu.core.boot.BootObserver o);

    /**
     * Memory for a framebuffer of {@code bytes}: RAM below 4 GiB typed EfiReservedMemoryType and
     * kept out of the allocator and out of the hand-off's segments (a fixed range of the map), so
     * the next kernel never reuses it and a screen's worth of pixels is not copied. Returns its base.
     */
    long reserveFramebuffer(long bytes);

    /**
     * Backs [base, base+bytes) for this run with plain memory: a device's range outside the memory
     * map (a host's real framebuffer under {@code --memmap host}). It is not RAM, not in the map the
     * payload sees and never captured: what the payload draws there stays in the emulator.
     */
    void mapDeviceMemory(long base, long bytes);

    /** The machine's screen, which the Graphics Output Protocol shows its framebuffer on. */
    dev.efiemu.core.display.Display display();
}
