package dev.efiemu.protocols.fs;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;

/**
 * EFI_BLOCK_IO_PROTOCOL and EFI_DISK_IO_PROTOCOL (UEFI spec §13.9, §13.7) over a read-only image
 * file, for payloads that read file systems themselves (GRUB). 512-byte blocks, media id 1,
 * a logical partition (the ESP), never writable.
 */
public final class BlockDevice {
    public static final Guid BLOCK_IO = Guids.define("964e5b21-6459-11d2-8e39-00a0c969723b", "BlockIo");
    public static final Guid DISK_IO = Guids.define("ce345171-ba0b-11d2-8e4f-00a0c969723b", "DiskIo");
    static final int BLOCK = 512, MEDIA_ID = 1;

    private final RandomAccessFile image;
    private final long base;
    private final long size;

    /** The bytes [base, base+size) of {@code imageFile} as a block device on {@code handle}; a partition when {@code partition}. */
    public BlockDevice(Machine m, Handle handle, Path imageFile, long base, long size, boolean partition) throws IOException {
        this.image = new RandomAccessFile(imageFile.toFile(), "r");
        this.base = base;
        this.size = size;
        // EFI_BLOCK_IO_MEDIA (rev 1 fields): MediaId, Removable, Present, LogicalPartition, ReadOnly,
        // WriteCaching, BlockSize @12, IoAlign @16, LastBlock @24
        long media = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 48);
        var mem = m.memory();
        mem.u32(media, MEDIA_ID);
        mem.u8(media + 5, 1);
        mem.u8(media + 6, partition ? 1 : 0);
        mem.u8(media + 7, 1);
        mem.u32(media + 12, BLOCK);
        mem.u32(media + 16, 1);
        mem.u64(media + 24, size / BLOCK - 1);
        long[] fns = m.defineFunctions("BlockIo", List.of(
                new Machine.FunctionSpec("Reset", 2, c -> Status.SUCCESS),
                new Machine.FunctionSpec("ReadBlocks", 5, this::readBlocks),
                new Machine.FunctionSpec("WriteBlocks", 5, c -> Status.WRITE_PROTECTED),
                new Machine.FunctionSpec("FlushBlocks", 1, c -> Status.SUCCESS)));
        long blockIo = m.newInterface(new long[] {0x00010000, media, fns[0], fns[1], fns[2], fns[3]}, 0);
        long[] disk = m.defineFunctions("DiskIo", List.of(
                new Machine.FunctionSpec("ReadDisk", 5, this::readDisk),
                new Machine.FunctionSpec("WriteDisk", 5, c -> Status.WRITE_PROTECTED)));
        long diskIo = m.newInterface(new long[] {0x00010000, disk[0], disk[1]}, 0);
        m.installProtocol(handle, BLOCK_IO, blockIo);
        m.installProtocol(handle, DISK_IO, diskIo);
    }

    /** ReadBlocks(This, MediaId, Lba, BufferSize, Buffer). */
    long readBlocks(Call c) {
        long lba = c.arg(2), n = c.arg(3), buf = c.arg(4);
        if (c.arg(1) != MEDIA_ID) return Status.MEDIA_CHANGED;
        if (n % BLOCK != 0) return Status.BAD_BUFFER_SIZE;
        if (Long.compareUnsigned(lba, size / BLOCK) >= 0) return Status.INVALID_PARAMETER;
        return read(c, lba * BLOCK, n, buf);
    }

    /** ReadDisk(This, MediaId, Offset, BufferSize, Buffer). */
    long readDisk(Call c) {
        if (c.arg(1) != MEDIA_ID) return Status.MEDIA_CHANGED;
        return read(c, c.arg(2), c.arg(3), c.arg(4));
    }

    private long read(Call c, long offset, long n, long buf) {
        if (n == 0) return Status.SUCCESS;
        if (buf == 0 || offset < 0 || n < 0 || n > (64L << 20) || offset > size - n) return Status.INVALID_PARAMETER;
        byte[] b = new byte[(int) n];
        try {
            synchronized (image) {
                image.seek(base + offset);
                image.readFully(b);
            }
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        c.memory().write(buf, b);
        return Status.SUCCESS;
    }
}
