package dev.efiemu.core.memory;

/** EFI_MEMORY_TYPE (UEFI spec §7.2, Table 7-5). */
public enum MemoryType {
    RESERVED, LOADER_CODE, LOADER_DATA, BOOT_SERVICES_CODE, BOOT_SERVICES_DATA,
    RUNTIME_SERVICES_CODE, RUNTIME_SERVICES_DATA, CONVENTIONAL, UNUSABLE,
    ACPI_RECLAIM, ACPI_NVS, MMIO, MMIO_PORT_SPACE, PAL_CODE, PERSISTENT, UNACCEPTED;

    /** The spec's number for this type. */
    public int code() {
        return ordinal();
    }

    /** Decodes a guest-supplied type; OEM (0x70000000..) and OS (0x80000000..) ranges map to null. */
    public static MemoryType of(long code) {
        if (code >= 0 && code < values().length) return values()[(int) code];
        return null;
    }

    /** Whether AllocatePages/AllocatePool accept this type (§7.2; edk2 CoreAllocatePages): OEM and OS ranges too. */
    public static boolean allocatable(long code) {
        if (code >= 0x70000000L && code <= 0xffffffffL) return true;
        MemoryType t = of(code);
        return t != null && t != CONVENTIONAL && t != PERSISTENT && t != UNACCEPTED;
    }

    public boolean runtime() {
        return this == RUNTIME_SERVICES_CODE || this == RUNTIME_SERVICES_DATA;
    }

    /** Short name as the UEFI shell's memmap prints it. */
    public String shortName() {
        return switch (this) {
            case RESERVED -> "Reserved";
            case LOADER_CODE -> "LoaderCode";
            case LOADER_DATA -> "LoaderData";
            case BOOT_SERVICES_CODE -> "BS_Code";
            case BOOT_SERVICES_DATA -> "BS_Data";
            case RUNTIME_SERVICES_CODE -> "RT_Code";
            case RUNTIME_SERVICES_DATA -> "RT_Data";
            case CONVENTIONAL -> "Available";
            case UNUSABLE -> "Unusable";
            case ACPI_RECLAIM -> "ACPI_Recl";
            case ACPI_NVS -> "ACPI_NVS";
            case MMIO -> "MMIO";
            case MMIO_PORT_SPACE -> "MMIO_Port";
            case PAL_CODE -> "PalCode";
            case PERSISTENT -> "Persistent";
            case UNACCEPTED -> "Unaccepted";
        };
    }
}
