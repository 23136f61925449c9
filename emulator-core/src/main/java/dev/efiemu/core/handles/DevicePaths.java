package dev.efiemu.core.handles;

/**
 * Kept only for cli's RunCommand, which the boot-session module is replacing: device paths are
 * {@link DevicePath}. Delete this class with that change.
 */
@Deprecated
public final class DevicePaths {
    private DevicePaths() {}

    /** {@link DevicePath#filePath}. */
    public static DevicePath filePath(String path) {
        return DevicePath.filePath(path);
    }
}
