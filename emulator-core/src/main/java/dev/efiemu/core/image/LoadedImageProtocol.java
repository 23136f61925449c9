package dev.efiemu.core.image;

import dev.efiemu.core.memory.GuestMemory;

/** EFI_LOADED_IMAGE_PROTOCOL layout (UEFI spec §9.1.1), revision 0x1000. */
public final class LoadedImageProtocol {
    public static final int SIZE = 96;
    public static final int REVISION = 0x1000;
    public static final int PARENT = 8, SYSTEM_TABLE = 16, DEVICE_HANDLE = 24, FILE_PATH = 32, LOAD_OPTIONS_SIZE = 48,
            LOAD_OPTIONS = 56, IMAGE_BASE = 64, IMAGE_SIZE = 72, CODE_TYPE = 80, DATA_TYPE = 84, UNLOAD = 88;

    private LoadedImageProtocol() {}

    public static void write(GuestMemory mem, long at, long parent, long systemTable, long device, long filePath,
                             long base, long size, int codeType, int dataType) {
        mem.u32(at, REVISION);
        mem.u64(at + PARENT, parent);
        mem.u64(at + SYSTEM_TABLE, systemTable);
        mem.u64(at + DEVICE_HANDLE, device);
        mem.u64(at + FILE_PATH, filePath);
        mem.u64(at + IMAGE_BASE, base);
        mem.u64(at + IMAGE_SIZE, size);
        mem.u32(at + CODE_TYPE, codeType);
        mem.u32(at + DATA_TYPE, dataType);
    }
}
