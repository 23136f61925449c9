package dev.efiemu.core.tables;

import java.util.List;

/**
 * EFI_RUNTIME_SERVICES after the header, in table order (UEFI spec §4.5.1): the ordinal is the
 * slot. Each constant names the spec section that defines the service.
 */
public enum RuntimeService implements TableService {
    /** §8.3 */
    GET_TIME("GetTime", "Time", "Capabilities"),
    /** §8.3 */
    SET_TIME("SetTime", "Time"),
    /** §8.3 */
    GET_WAKEUP_TIME("GetWakeupTime", "Enabled", "Pending", "Time"),
    /** §8.3 */
    SET_WAKEUP_TIME("SetWakeupTime", "Enable", "Time"),
    /** §8.4 */
    SET_VIRTUAL_ADDRESS_MAP("SetVirtualAddressMap", "MemoryMapSize", "DescriptorSize", "DescriptorVersion", "VirtualMap"),
    /** §8.4 */
    CONVERT_POINTER("ConvertPointer", "DebugDisposition", "Address"),
    /** §8.2 */
    GET_VARIABLE("GetVariable", "VariableName", "VendorGuid", "Attributes", "DataSize", "Data"),
    /** §8.2 */
    GET_NEXT_VARIABLE_NAME("GetNextVariableName", "VariableNameSize", "VariableName", "VendorGuid"),
    /** §8.2 */
    SET_VARIABLE("SetVariable", "VariableName", "VendorGuid", "Attributes", "DataSize=", "Data"),
    /** §8.5 */
    GET_NEXT_HIGH_MONOTONIC_COUNT("GetNextHighMonotonicCount", "HighCount"),
    /** §8.5 */
    RESET_SYSTEM("ResetSystem", "ResetType", "ResetStatus", "DataSize=", "ResetData"),
    /** §8.5 */
    UPDATE_CAPSULE("UpdateCapsule", "CapsuleHeaderArray", "CapsuleCount", "ScatterGatherList"),
    /** §8.5 */
    QUERY_CAPSULE_CAPABILITIES("QueryCapsuleCapabilities", "CapsuleHeaderArray", "CapsuleCount", "MaximumCapsuleSize", "ResetType"),
    /** §8.2 */
    QUERY_VARIABLE_INFO("QueryVariableInfo", "Attributes", "MaximumVariableStorageSize", "RemainingVariableStorageSize",
            "MaximumVariableSize");

    private final String specName;
    private final List<String> params;

    RuntimeService(String specName, String... params) {
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
        return "RT";
    }
}
