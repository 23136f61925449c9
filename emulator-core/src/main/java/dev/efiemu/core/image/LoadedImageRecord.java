package dev.efiemu.core.image;

import dev.efiemu.core.handles.Handle;

/**
 * An image in memory (UEFI spec §7.4 LoadImage): where it is and what it is.
 *
 * @param name         file name or description, for traces and reports
 * @param protocolAddr the EFI_LOADED_IMAGE_PROTOCOL structure in guest memory
 * @param filePath     the FilePath LoadImage wrote for it (0: none), freed with it
 * @param fullPath     the LoadedImageDevicePath LoadImage wrote for it (0: none), freed with it
 */
public record LoadedImageRecord(Handle handle, String name, long base, long size, long entry, int subsystem,
                                long protocolAddr, long pages, long filePath, long fullPath) {
    public boolean contains(long address) {
        return address >= base && address < base + size;
    }
}
