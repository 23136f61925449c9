package dev.efiemu.core.boot;

import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.LoadedImageRecord;

/**
 * What a firmware's measured-boot driver hears about the boot (edk2: the Security2 handler that
 * measures every image LoadImage takes, the ReadyToBoot and ExitBootServices event groups); the
 * TCG2 firmware measurements implement it. Callbacks run in the firmware, between guest calls.
 */
public interface BootObserver {
    /**
     * An image was loaded (LoadImage, or the boot manager loading the payload).
     *
     * @param file     the image as loaded from (the PE file)
     * @param image    where it is in memory
     * @param fullPath its device path (device and file), or null when it has none
     */
    default void imageLoaded(byte[] file, LoadedImageRecord image, DevicePath fullPath) {}

    /** The boot manager is about to start the boot option (edk2: ReadyToBoot). */
    default void readyToBoot() {}

    /** ExitBootServices succeeded (the map key was current); the boot services end now. */
    default void exitBootServices() {}
}
