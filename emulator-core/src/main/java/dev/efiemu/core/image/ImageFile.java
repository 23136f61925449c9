package dev.efiemu.core.image;

/** What LoadImage needs from a parsed PE image. The loader module provides it ({@link PeImageFile}). */
public interface ImageFile {
    int machine();

    /** IMAGE_SUBSYSTEM_EFI_APPLICATION = 10, BOOT_SERVICE_DRIVER = 11, RUNTIME_DRIVER = 12. */
    int subsystem();

    long sizeOfImage();

    long entryPointRva();

    long sectionAlignment();

    /** The image laid out at {@code base}: headers, sections at their RVAs, BSS zeroed, relocations applied. */
    byte[] mapAt(long base);
}
