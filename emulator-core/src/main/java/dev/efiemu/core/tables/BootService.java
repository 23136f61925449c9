package dev.efiemu.core.tables;

import java.util.List;

/**
 * EFI_BOOT_SERVICES after the header, in table order (UEFI spec §4.4.1): the ordinal is the slot.
 * Each constant names the spec section that defines the service.
 */
public enum BootService implements TableService {
    /** §7.1 */
    RAISE_TPL("RaiseTPL", "NewTpl"),
    /** §7.1 */
    RESTORE_TPL("RestoreTPL", "OldTpl"),
    /** §7.2 */
    ALLOCATE_PAGES("AllocatePages", "Type", "MemoryType", "Pages", "Memory"),
    /** §7.2 */
    FREE_PAGES("FreePages", "Memory", "Pages"),
    /** §7.2 */
    GET_MEMORY_MAP("GetMemoryMap", "MemoryMapSize", "MemoryMap", "MapKey", "DescriptorSize", "DescriptorVersion"),
    /** §7.2 */
    ALLOCATE_POOL("AllocatePool", "PoolType", "Size", "Buffer"),
    /** §7.2 */
    FREE_POOL("FreePool", "Buffer"),
    /** §7.1 */
    CREATE_EVENT("CreateEvent", "Type", "NotifyTpl", "NotifyFunction", "NotifyContext", "Event"),
    /** §7.1 */
    SET_TIMER("SetTimer", "Event", "Type", "TriggerTime"),
    /** §7.1 */
    WAIT_FOR_EVENT("WaitForEvent", "NumberOfEvents", "Event", "Index"),
    /** §7.1 */
    SIGNAL_EVENT("SignalEvent", "Event"),
    /** §7.1 */
    CLOSE_EVENT("CloseEvent", "Event"),
    /** §7.1 */
    CHECK_EVENT("CheckEvent", "Event"),
    /** §7.3 */
    INSTALL_PROTOCOL_INTERFACE("InstallProtocolInterface", "Handle", "Protocol", "InterfaceType", "Interface"),
    /** §7.3 */
    REINSTALL_PROTOCOL_INTERFACE("ReinstallProtocolInterface", "Handle", "Protocol", "OldInterface", "NewInterface"),
    /** §7.3 */
    UNINSTALL_PROTOCOL_INTERFACE("UninstallProtocolInterface", "Handle", "Protocol", "Interface"),
    /** §7.3 */
    HANDLE_PROTOCOL("HandleProtocol", "Handle", "Protocol", "Interface"),
    /** §4.4.1: a reserved pointer; here an EFI_UNSUPPORTED stub like every service without a handler. */
    RESERVED("Reserved"),
    /** §7.3 */
    REGISTER_PROTOCOL_NOTIFY("RegisterProtocolNotify", "Protocol", "Event", "Registration"),
    /** §7.3 */
    LOCATE_HANDLE("LocateHandle", "SearchType", "Protocol", "SearchKey", "BufferSize", "Buffer"),
    /** §7.3 */
    LOCATE_DEVICE_PATH("LocateDevicePath", "Protocol", "DevicePath*", "Device"),
    /** §7.5 */
    INSTALL_CONFIGURATION_TABLE("InstallConfigurationTable", "Guid", "Table"),
    /** §7.4 */
    LOAD_IMAGE("LoadImage", "BootPolicy", "ParentImageHandle", "DevicePath", "SourceBuffer", "SourceSize", "ImageHandle"),
    /** §7.4 */
    START_IMAGE("StartImage", "ImageHandle", "ExitDataSize", "ExitData"),
    /** §7.4 */
    EXIT("Exit", "ImageHandle", "ExitStatus", "ExitDataSize", "ExitData"),
    /** §7.4 */
    UNLOAD_IMAGE("UnloadImage", "ImageHandle"),
    /** §7.4 */
    EXIT_BOOT_SERVICES("ExitBootServices", "ImageHandle", "MapKey"),
    /** §7.5 */
    GET_NEXT_MONOTONIC_COUNT("GetNextMonotonicCount", "Count"),
    /** §7.5 */
    STALL("Stall", "Microseconds"),
    /** §7.5 */
    SET_WATCHDOG_TIMER("SetWatchdogTimer", "Timeout", "WatchdogCode", "DataSize", "WatchdogData"),
    /** §7.3 */
    CONNECT_CONTROLLER("ConnectController", "ControllerHandle", "DriverImageHandle", "RemainingDevicePath", "Recursive"),
    /** §7.3 */
    DISCONNECT_CONTROLLER("DisconnectController", "ControllerHandle", "DriverImageHandle", "ChildHandle"),
    /** §7.3 */
    OPEN_PROTOCOL("OpenProtocol", "Handle", "Protocol", "Interface", "AgentHandle", "ControllerHandle", "Attributes"),
    /** §7.3 */
    CLOSE_PROTOCOL("CloseProtocol", "Handle", "Protocol", "AgentHandle", "ControllerHandle"),
    /** §7.3 */
    OPEN_PROTOCOL_INFORMATION("OpenProtocolInformation", "Handle", "Protocol", "EntryBuffer", "EntryCount"),
    /** §7.3 */
    PROTOCOLS_PER_HANDLE("ProtocolsPerHandle", "Handle", "ProtocolBuffer", "ProtocolBufferCount"),
    /** §7.3 */
    LOCATE_HANDLE_BUFFER("LocateHandleBuffer", "SearchType", "Protocol", "SearchKey", "NoHandles", "Buffer"),
    /** §7.3 */
    LOCATE_PROTOCOL("LocateProtocol", "Protocol", "Registration", "Interface"),
    /** §7.3: Handle, then (Protocol, Interface) pairs up to a NULL Protocol. */
    INSTALL_MULTIPLE_PROTOCOL_INTERFACES("InstallMultipleProtocolInterfaces", "Handle", "..."),
    /** §7.3: Handle, then (Protocol, Interface) pairs up to a NULL Protocol. */
    UNINSTALL_MULTIPLE_PROTOCOL_INTERFACES("UninstallMultipleProtocolInterfaces", "Handle", "..."),
    /** §7.5 */
    CALCULATE_CRC32("CalculateCrc32", "Data", "DataSize", "Crc32"),
    /** §7.5 */
    COPY_MEM("CopyMem", "Destination", "Source", "Length"),
    /** §7.5 */
    SET_MEM("SetMem", "Buffer", "Size", "Value"),
    /** §7.1 */
    CREATE_EVENT_EX("CreateEventEx", "Type", "NotifyTpl", "NotifyFunction", "NotifyContext", "EventGroup", "Event");

    private final String specName;
    private final List<String> params;

    BootService(String specName, String... params) {
        this.specName = specName;
        this.params = List.of(params);
    }

    @Override
    public String specName() {
        return specName;
    }

    @Override
    public List<String> params() {
        return params;
    }

    @Override
    public String table() {
        return "BS";
    }
}
