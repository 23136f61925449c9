package dev.efiemu.core.image;

import dev.efiemu.core.trap.NoReturn;

/** Unwinds guest frames from Exit() to the StartImage that started the exiting image (UEFI spec §7.4 Exit). */
public final class ImageExit extends NoReturn {
    public final long handle;
    public final long status;
    public final long exitDataSize;
    public final long exitData;

    public ImageExit(long handle, long status, long exitDataSize, long exitData) {
        super("Exit");
        this.handle = handle;
        this.status = status;
        this.exitDataSize = exitDataSize;
        this.exitData = exitData;
    }
}
