package dev.efiemu.core.efi;

import dev.efiemu.loader.Guid;
import java.util.HashMap;
import java.util.Map;

/** GUIDs the firmware model itself uses, with names for traces. Protocol modules register theirs with {@link #name}. */
public final class Guids {
    private static final Map<Guid, String> NAMES = new HashMap<>();

    // UEFI spec §9.1, §9.2, §10.2
    public static final Guid LOADED_IMAGE = define("5b1b31a1-9562-11d2-8e3f-00a0c969723b", "LoadedImage");
    public static final Guid LOADED_IMAGE_DEVICE_PATH = define("bc62157e-3e33-4fec-9920-2d3b36d750df", "LoadedImageDevicePath");
    public static final Guid DEVICE_PATH = define("09576e91-6d3f-11d2-8e39-00a0c969723b", "DevicePath");
    // §13.2: LoadImage reads an image through it when no file system serves the path
    public static final Guid LOAD_FILE2 = define("4006c0c1-fcb3-403e-996d-4a6c8724e06d", "LoadFile2");
    // the device tree configuration table (§4.6: EFI_DTB_TABLE_GUID)
    public static final Guid DTB_TABLE = define("b1b621d5-f19c-41a5-830b-d9152c69aae0", "DeviceTree");
    // Configuration tables (§4.6) and Linux's own (include/linux/efi.h)
    public static final Guid ACPI_20_TABLE = define("8868e871-e4f1-11d3-bc22-0080c73c8881", "ACPI20");
    public static final Guid SMBIOS_TABLE = define("eb9d2d31-2d88-11d3-9a16-0090273fc14d", "SMBIOS");
    public static final Guid SMBIOS3_TABLE = define("f2fd1544-9794-4a2c-992e-e5bbcf20e394", "SMBIOS3");
    public static final Guid RT_PROPERTIES_TABLE = define("eb66918a-7eef-402a-842e-931d21c38ae9", "RtProperties");
    public static final Guid MEMORY_ATTRIBUTES_TABLE = define("dcfa911d-26eb-469f-a220-38b7dc461f40", "MemoryAttributesTable");
    public static final Guid LINUX_INITRD_MEDIA = define("5568e427-68fc-4f3d-ac74-ca555231cc68", "LinuxInitrdMedia");
    public static final Guid LINUX_BOOT_MEMMAP = define("800f683f-d08b-423a-a293-965c3c6fe2b4", "LinuxBootMemmap");
    // Event groups (§7.1)
    public static final Guid EVENT_GROUP_EXIT_BOOT_SERVICES = define("27abf055-b1b8-4c26-8048-748f37baa2df", "ExitBootServicesGroup");
    public static final Guid EVENT_GROUP_BEFORE_EXIT_BOOT_SERVICES = define("8be0e274-3970-4b44-80c5-1ab9502f3bfc", "BeforeExitBootServicesGroup");
    public static final Guid EVENT_GROUP_VIRTUAL_ADDRESS_CHANGE = define("13fa7698-c831-49c7-87ea-8f43fcc25196", "VirtualAddressChangeGroup");
    public static final Guid EVENT_GROUP_MEMORY_MAP_CHANGE = define("78bee926-692f-48fd-9edb-01422ef0d7ab", "MemoryMapChangeGroup");
    public static final Guid EVENT_GROUP_READY_TO_BOOT = define("7ce88fb3-4bd7-4679-87a8-a8d8dee50d2b", "ReadyToBootGroup");
    // Protocols the Linux stub probes for (absence is fine); named for traces
    public static final Guid TCG2 = define("607f766c-7455-42be-930b-e4d76db2720f", "Tcg2");
    public static final Guid CC_MEASUREMENT = define("96751a3d-72f4-41a6-a794-ed5d0e67ae6b", "CcMeasurement");
    public static final Guid MEMORY_ATTRIBUTE = define("f4560cf6-40ec-4b4a-a192-bf1d57d0b189", "MemoryAttribute");
    public static final Guid GRAPHICS_OUTPUT = define("9042a9de-23dc-4a38-96fb-7aded080516a", "GraphicsOutput");
    public static final Guid UGA_DRAW = define("982c298b-f4fa-41cb-b838-77aa688fb839", "UgaDraw");
    public static final Guid PCI_IO = define("4cf5b200-68b8-4ca5-9eec-b23e3f50029a", "PciIo");
    public static final Guid LINUX_RANDOM_SEED = define("1ce1e5bc-7ceb-42f2-81e5-8aadf180f57b", "LinuxRandomSeed");
    public static final Guid MEMORY_OVERWRITE_CONTROL = define("e20939be-32d4-41be-a150-897f85d49829", "MemoryOverwriteControl");
    // Security architectural protocols (PI spec vol. 2 §12.8 / §12.9), called by LoadImage
    public static final Guid SECURITY_ARCH = define("a46423e3-4617-49f1-b9ff-d1bfa9115839", "SecurityArch");
    public static final Guid SECURITY2_ARCH = define("94ab2f58-1438-4ef1-9152-18941a3a0e68", "Security2Arch");
    // Variables (§3.3)
    public static final Guid GLOBAL_VARIABLE = define("8be4df61-93ca-11d2-aa0d-00e098032b8c", "EfiGlobalVariable");
    public static final Guid IMAGE_SECURITY_DATABASE = define("d719b2cb-3d3a-4596-a3bc-dad00e67656f", "ImageSecurityDatabase");

    private Guids() {}

    public static synchronized Guid define(String guid, String name) {
        Guid g = Guid.parse(guid);
        NAMES.put(g, name);
        return g;
    }

    /** The registered name, or the GUID text. */
    public static synchronized String name(Guid g) {
        String n = NAMES.get(g);
        return n != null ? n : g.toString();
    }
}
