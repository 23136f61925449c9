package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.disk.DiskReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * EFI_BLOCK_IO_PROTOCOL (UEFI spec §13.9) over a read-only image, for payloads that read file
 * systems themselves (GRUB): 512-byte blocks (2048 on a CD-ROM), media id 1, never writable —
 * WriteBlocks answers EFI_WRITE_PROTECTED. {@link DiskIo} reads the same bytes at byte offsets.
 */
public final class BlockIo {
    public static final Guid GUID = Guids.define("964e5b21-6459-11d2-8e39-00a0c969723b", "BlockIo");
    static final int BLOCK = 512, MEDIA_ID = 1;

    private final DiskReader image;
    private final long base;
    private final long size;
    private final int blockSize;

    /** The bytes [base, base+size) of {@code imageFile} as a 512-byte-block device on {@code handle}; a logical partition when {@code partition}. */
    public BlockIo(ProtocolHost host, Handle handle, Path imageFile, long base, long size, boolean partition) throws IOException {
        this(host, handle, DiskReader.open(imageFile), base, size, partition, BLOCK, false);
    }

    /**
     * The bytes [base, base+size) of {@code image} as a block device on {@code handle}.
     *
     * @param partition a logical partition (a child of the disk's handle)
     * @param blockSize 512, or 2048 for a CD-ROM
     * @param removable removable media (a CD-ROM)
     */
    public BlockIo(ProtocolHost host, Handle handle, DiskReader image, long base, long size, boolean partition, int blockSize, boolean removable) {
        this.image = image;
        this.base = base;
        this.size = size;
        this.blockSize = blockSize;
        // EFI_BLOCK_IO_MEDIA (rev 1 fields): MediaId, Removable, Present, LogicalPartition, ReadOnly,
        // WriteCaching, BlockSize @12, IoAlign @16, LastBlock @24
        long media = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, 48);
        var mem = host.memory();
        mem.u32(media, MEDIA_ID);
        mem.u8(media + 4, removable ? 1 : 0);
        mem.u8(media + 5, 1);
        mem.u8(media + 6, partition ? 1 : 0);
        mem.u8(media + 7, 1);
        mem.u32(media + 12, blockSize);
        mem.u32(media + 16, 1);
        mem.u64(media + 24, size / blockSize - 1);
        long[] fns = host.defineFunctions("BlockIo", List.of(
                new FunctionSpec("Reset", c -> Status.SUCCESS, "This", "ExtendedVerification"),
                new FunctionSpec("ReadBlocks", this::readBlocks, "This", "MediaId", "Lba", "BufferSize", "Buffer"),
                new FunctionSpec("WriteBlocks", c -> Status.WRITE_PROTECTED, "This", "MediaId", "Lba", "BufferSize", "Buffer"),
                new FunctionSpec("FlushBlocks", c -> Status.SUCCESS, "This")));
        long blockIo = host.newInterface(new long[] {0x00010000, media, fns[0], fns[1], fns[2], fns[3]}, 0);
        host.installProtocol(handle, GUID, blockIo);
    }

    /** ReadBlocks(This, MediaId, Lba, BufferSize, Buffer). */
    long readBlocks(Call c) {
        long lba = c.arg(2), n = c.arg(3), buf = c.arg(4);
        if (c.arg(1) != MEDIA_ID) return Status.MEDIA_CHANGED;
        if (n % blockSize != 0) return Status.BAD_BUFFER_SIZE;
        if (Long.compareUnsigned(lba, size / blockSize) >= 0) return Status.INVALID_PARAMETER;
        return read(c, lba * blockSize, n, buf);
    }

    /** Copies {@code n} bytes at byte {@code offset} of the device into guest memory at {@code buf}. */
    long read(Call c, long offset, long n, long buf) {
        if (n == 0) return Status.SUCCESS;
        if (buf == 0 || offset < 0 || n < 0 || n > (64L << 20) || offset > size - n) return Status.INVALID_PARAMETER;
        byte[] b = new byte[(int) n];
        try {
            image.read(base + offset, b, 0, b.length);
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        c.memory().write(buf, b);
        return Status.SUCCESS;
    }
}
