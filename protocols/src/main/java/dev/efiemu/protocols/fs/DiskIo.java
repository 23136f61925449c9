package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.util.List;

/** EFI_DISK_IO_PROTOCOL (UEFI spec §13.7): byte-offset reads of a {@link BlockIo} device; writes are EFI_WRITE_PROTECTED. */
public final class DiskIo {
    public static final Guid GUID = Guids.define("ce345171-ba0b-11d2-8e4f-00a0c969723b", "DiskIo");

    private final BlockIo blocks;

    /** Installs DiskIo on {@code handle}, which carries {@code blocks}. */
    public DiskIo(ProtocolHost host, Handle handle, BlockIo blocks) {
        this.blocks = blocks;
        long[] disk = host.defineFunctions("DiskIo", List.of(
                new FunctionSpec("ReadDisk", this::readDisk, "This", "MediaId", "Offset", "BufferSize", "Buffer"),
                new FunctionSpec("WriteDisk", c -> Status.WRITE_PROTECTED, "This", "MediaId", "Offset", "BufferSize", "Buffer")));
        long diskIo = host.newInterface(new long[] {0x00010000, disk[0], disk[1]}, 0);
        host.installProtocol(handle, GUID, diskIo);
    }

    /** ReadDisk(This, MediaId, Offset, BufferSize, Buffer). */
    long readDisk(Call c) {
        if (c.arg(1) != BlockIo.MEDIA_ID) return Status.MEDIA_CHANGED;
        return blocks.read(c, c.arg(2), c.arg(3), c.arg(4));
    }
}
