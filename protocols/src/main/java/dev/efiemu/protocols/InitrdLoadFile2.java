package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.util.List;

/**
 * The Linux initrd as the kernel's EFI stub looks for it (Linux drivers/firmware/efi/libstub,
 * efi_load_initrd_dev_path): EFI_LOAD_FILE2_PROTOCOL on a handle whose device path is
 * VenMedia(LINUX_EFI_INITRD_MEDIA_GUID)/End. The stub probes with a NULL buffer, expects
 * EFI_BUFFER_TOO_SMALL with the size, allocates and asks again.
 */
public final class InitrdLoadFile2 {
    public static final Guid LOAD_FILE2 = Guids.LOAD_FILE2;

    private final byte[] initrd;
    private final Handle handle;

    public InitrdLoadFile2(ProtocolHost host, byte[] initrd) {
        this.initrd = initrd;
        long dp = host.writeDevicePath(DevicePath.of(DevicePath.vendorMedia(Guids.LINUX_INITRD_MEDIA)));
        long iface = host.newInterface("InitrdLoadFile2", List.of(
                new FunctionSpec("LoadFile", this::loadFile, "This", "FilePath", "BootPolicy", "BufferSize", "Buffer")), 0);
        Handle h = host.installProtocol(null, Guids.DEVICE_PATH, dp);
        this.handle = host.installProtocol(h, LOAD_FILE2, iface);
    }

    /** EFI_LOAD_FILE2_PROTOCOL.LoadFile(This, FilePath, BootPolicy, *BufferSize, Buffer) (UEFI spec §13.2). */
    long loadFile(Call c) {
        long sizePtr = c.arg(3), buffer = c.arg(4);
        if (c.arg(2) != 0) return c.unsupported("BootPolicy TRUE"); // LoadFile2 never serves boot-policy loads (§13.2)
        if (sizePtr == 0) return Status.INVALID_PARAMETER;
        long have = c.memory().u64(sizePtr);
        c.memory().u64(sizePtr, initrd.length);
        if (buffer == 0 || have < initrd.length) {
            c.note("size probe: " + initrd.length + " bytes");
            return Status.BUFFER_TOO_SMALL;
        }
        c.memory().write(buffer, initrd);
        c.note(String.format("%d bytes -> 0x%x", initrd.length, buffer));
        return Status.SUCCESS;
    }

    public Handle handle() {
        return handle;
    }
}
