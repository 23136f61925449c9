package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.disk.FatVolume;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL and EFI_FILE_PROTOCOL (UEFI spec §13.4, §13.5) over a FAT file
 * system read from a disk image ({@link FatVolume}), as edk2's FAT driver serves a partition:
 * read-only — opening for write, Write, SetInfo and Flush answer EFI_WRITE_PROTECTED, Delete
 * EFI_WARN_DELETE_FAILURE. A cluster chain or directory found broken while reading answers
 * EFI_VOLUME_CORRUPTED.
 */
public final class FatFileSystem extends FileProtocol<FatFileSystem.OpenFile> {
    /** One open file: its path from the root and its directory entry. */
    static final class OpenFile extends FileProtocol.Open {
        final FatVolume.Node node;

        OpenFile(List<String> names, FatVolume.Node node) {
            super(names, node.directory());
            this.node = node;
        }
    }

    private final FatVolume volume;

    /** Installs the file system on {@code handle}, and serves its files to LoadImage by device path. */
    public FatFileSystem(ProtocolHost host, FatVolume volume, Handle handle) {
        super(host);
        this.volume = volume;
        install(handle);
        host.serveFiles(handle, this::readFile);
    }

    /** A file LoadImage asked for by device path ("\\EFI\\BOOT\\grubx64.efi"), or null. */
    byte[] readFile(String path) {
        try {
            FatVolume.Node n = volume.lookup(EspSandbox.components(List.of(), path));
            return n == null || n.directory() ? null : volume.readAll(n);
        } catch (FormatException e) {
            return null;
        }
    }

    @Override
    protected OpenFile root() {
        return new OpenFile(List.of(), volume.root());
    }

    /** Read-only: a write mode is EFI_WRITE_PROTECTED (after the lookup, so a corrupt directory still says so). */
    @Override
    protected long open(Call c, List<String> names, long mode, long attributes, long out) {
        FatVolume.Node n = volume.lookup(names);
        if ((mode & MODE_WRITE) != 0) return Status.WRITE_PROTECTED;
        if (n == null) return Status.NOT_FOUND;
        return opened(c, out, new OpenFile(names, n));
    }

    @Override
    protected long size(OpenFile f) {
        return f.node.size();
    }

    @Override
    protected void read(OpenFile f, long position, byte[] data) {
        volume.read(f.node, position, data, 0, data.length);
    }

    @Override
    protected byte[] entry(OpenFile dir, long index) {
        List<FatVolume.Node> entries = volume.list(dir.node);
        return index >= entries.size() ? null : fileInfo(entries.get((int) index), entries.get((int) index).name());
    }

    /** File info, file system info (read-only, no free space), volume label. */
    @Override
    protected byte[] info(OpenFile f, Guid type) {
        if (type.equals(SimpleFileSystem.FILE_INFO)) return fileInfo(f.node, f.names.isEmpty() ? "" : f.node.name());
        if (type.equals(SimpleFileSystem.FILE_SYSTEM_INFO)) {
            byte[] label = GuestMemory.utf16z(volume.label());
            ByteBuffer b = ByteBuffer.allocate(36 + label.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(36 + label.length).put((byte) 1).put(new byte[7]).putLong(volume.totalBytes()).putLong(0).putInt(volume.blockSize()).put(label);
            return b.array();
        }
        if (type.equals(SimpleFileSystem.VOLUME_LABEL)) return GuestMemory.utf16z(volume.label());
        return null;
    }

    @Override
    protected long delete(Call c, OpenFile f) {
        return SimpleFileSystem.WARN_DELETE_FAILURE;
    }

    @Override
    protected long write(Call c, OpenFile f, long sizePtr, long buf) {
        return Status.WRITE_PROTECTED;
    }

    @Override
    protected long setInfo(Call c, OpenFile f, Guid type, long size, long buf) {
        return Status.WRITE_PROTECTED;
    }

    @Override
    protected long flush(Call c, OpenFile f) {
        return Status.WRITE_PROTECTED;
    }

    @Override
    protected String shownName(OpenFile f) {
        return f.node.name();
    }

    /** A broken cluster chain or directory: EFI_VOLUME_CORRUPTED, the reader's message in the trace. */
    @Override
    protected long failed(Call c, Exception e) {
        c.note(e.getMessage());
        return Status.VOLUME_CORRUPTED;
    }

    /** EFI_FILE_INFO for a FAT entry: sizes, the three times from FAT's packed dates, attributes with READ_ONLY (the volume is). */
    static byte[] fileInfo(FatVolume.Node n, String name) {
        byte[] nm = GuestMemory.utf16z(name);
        ByteBuffer b = ByteBuffer.allocate(FileInfo.HEADER + nm.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(FileInfo.HEADER + nm.length).putLong(n.size()).putLong((n.size() + 4095) & ~4095L);
        time(b, n.createDate(), n.createTime());
        time(b, n.accessDate(), 0);
        time(b, n.modifyDate(), n.modifyTime());
        long attr = (n.attributes() & 0x37) | FileInfo.READ_ONLY;
        b.putLong(attr).put(nm);
        return b.array();
    }

    /** EFI_TIME (§8.3) from a FAT date and time; an unset date is all zeros. */
    static void time(ByteBuffer b, int date, int time) {
        if (date == 0) {
            b.put(new byte[16]);
            return;
        }
        b.putShort((short) (1980 + (date >> 9))).put((byte) ((date >> 5) & 0xf)).put((byte) (date & 0x1f))
                .put((byte) (time >> 11)).put((byte) ((time >> 5) & 0x3f)).put((byte) ((time & 0x1f) * 2)).put((byte) 0)
                .putInt(0).putShort((short) 0x7ff).put((byte) 0).put((byte) 0);
    }
}
