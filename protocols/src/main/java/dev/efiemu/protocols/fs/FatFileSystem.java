package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.disk.FatVolume;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL and EFI_FILE_PROTOCOL (UEFI spec §13.4, §13.5) over a FAT file
 * system read from a disk image ({@link FatVolume}), as edk2's FAT driver serves a partition:
 * read-only — opening for write, Write, SetInfo and Flush answer EFI_WRITE_PROTECTED, Delete
 * EFI_WARN_DELETE_FAILURE. A cluster chain or directory found broken while reading answers
 * EFI_VOLUME_CORRUPTED.
 */
public final class FatFileSystem {
    static final long MODE_READ = 1, MODE_WRITE = 2;

    /** One open EFI_FILE_PROTOCOL instance: its path from the root and its node. */
    private static final class OpenFile {
        final List<String> names;
        final FatVolume.Node node;
        long position;

        OpenFile(List<String> names, FatVolume.Node node) {
            this.names = names;
            this.node = node;
        }
    }

    private final ProtocolHost host;
    private final FatVolume volume;
    private final long[] fileFunctions;
    private final Map<Long, OpenFile> open = new HashMap<>();

    /** Installs the file system on {@code handle}, and serves its files to LoadImage by device path. */
    public FatFileSystem(ProtocolHost host, FatVolume volume, Handle handle) {
        this.host = host;
        this.volume = volume;
        this.fileFunctions = host.defineFunctions("File", List.of(
                new FunctionSpec("Open", this::openFile, "This", "NewHandle", "FileName", "OpenMode", "Attributes"),
                new FunctionSpec("Close", c -> open.remove(c.arg(0)) != null ? Status.SUCCESS : Status.INVALID_PARAMETER, "This"),
                new FunctionSpec("Delete", c -> open.remove(c.arg(0)) != null ? SimpleFileSystem.WARN_DELETE_FAILURE : Status.INVALID_PARAMETER, "This"),
                new FunctionSpec("Read", this::read, "This", "BufferSize", "Buffer"),
                new FunctionSpec("Write", c -> open.containsKey(c.arg(0)) ? Status.WRITE_PROTECTED : Status.INVALID_PARAMETER, "This", "BufferSize", "Buffer"),
                new FunctionSpec("GetPosition", this::getPosition, "This", "Position"),
                new FunctionSpec("SetPosition", this::setPosition, "This", "Position"),
                new FunctionSpec("GetInfo", this::getInfo, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("SetInfo", c -> open.containsKey(c.arg(0)) ? Status.WRITE_PROTECTED : Status.INVALID_PARAMETER, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("Flush", c -> open.containsKey(c.arg(0)) ? Status.WRITE_PROTECTED : Status.INVALID_PARAMETER, "This"),
                new FunctionSpec("OpenEx", null, "This", "NewHandle", "FileName", "OpenMode", "Attributes", "Token"),
                new FunctionSpec("ReadEx", null, "This", "Token"),
                new FunctionSpec("WriteEx", null, "This", "Token"),
                new FunctionSpec("FlushEx", null, "This", "Token")));
        long[] sfs = host.defineFunctions("SimpleFileSystem", List.of(new FunctionSpec("OpenVolume", this::openVolume, "This", "Root")));
        host.installProtocol(handle, SimpleFileSystem.GUID, host.newInterface(new long[] {0x00010000, sfs[0]}, 0));
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

    private long newFile(OpenFile f) {
        long[] fns = new long[1 + fileFunctions.length];
        fns[0] = SimpleFileSystem.REVISION_2;
        System.arraycopy(fileFunctions, 0, fns, 1, fileFunctions.length);
        long iface = host.newInterface(fns, 0);
        open.put(iface, f);
        return iface;
    }

    long openVolume(Call c) {
        if (c.arg(1) == 0) return Status.INVALID_PARAMETER;
        c.memory().u64(c.arg(1), newFile(new OpenFile(List.of(), volume.root())));
        return Status.SUCCESS;
    }

    /** Open(This, **NewHandle, FileName, OpenMode, Attributes) (§13.5.2): read-only; write modes are EFI_WRITE_PROTECTED. */
    long openFile(Call c) {
        OpenFile base = open.get(c.arg(0));
        long out = c.arg(1), namePtr = c.arg(2), mode = c.arg(3);
        if (base == null || out == 0 || namePtr == 0) return Status.INVALID_PARAMETER;
        if (mode != MODE_READ && mode != (MODE_READ | MODE_WRITE) && mode != (MODE_READ | MODE_WRITE | SimpleFileSystem.MODE_CREATE)) {
            return Status.INVALID_PARAMETER;
        }
        String name = c.memory().utf16z(namePtr, 4096);
        c.note('"' + name + '"');
        List<String> names = EspSandbox.components(base.names, name);
        FatVolume.Node n;
        try {
            n = volume.lookup(names);
        } catch (FormatException e) {
            c.note(e.getMessage());
            return Status.VOLUME_CORRUPTED;
        }
        if ((mode & MODE_WRITE) != 0) return Status.WRITE_PROTECTED;
        if (n == null) return Status.NOT_FOUND;
        c.memory().u64(out, newFile(new OpenFile(names, n)));
        return Status.SUCCESS;
    }

    long read(Call c) {
        OpenFile f = open.get(c.arg(0));
        long sizePtr = c.arg(1), buf = c.arg(2);
        if (f == null || sizePtr == 0) return Status.INVALID_PARAMETER;
        long want = c.memory().u64(sizePtr);
        try {
            if (f.node.directory()) return readDirectory(c, f, sizePtr, want, buf);
            if (Long.compareUnsigned(f.position, f.node.size()) > 0) return Status.DEVICE_ERROR;
            int n = (int) Math.min(want < 0 ? Long.MAX_VALUE : want, Math.min(f.node.size() - f.position, 64L << 20));
            if (n > 0 && buf == 0) return Status.INVALID_PARAMETER;
            byte[] data = new byte[n];
            volume.read(f.node, f.position, data, 0, n);
            c.memory().write(buf, data);
            c.memory().u64(sizePtr, n);
            f.position += n;
            c.note(n + " bytes of " + f.node.name());
            return Status.SUCCESS;
        } catch (FormatException e) {
            c.note(e.getMessage());
            return Status.VOLUME_CORRUPTED;
        }
    }

    /** One EFI_FILE_INFO per read; an empty read is the end (§13.5.5). */
    private long readDirectory(Call c, OpenFile f, long sizePtr, long want, long buf) {
        List<FatVolume.Node> entries = volume.list(f.node);
        if (f.position >= entries.size()) {
            c.memory().u64(sizePtr, 0);
            return Status.SUCCESS;
        }
        byte[] info = fileInfo(entries.get((int) f.position), entries.get((int) f.position).name());
        c.memory().u64(sizePtr, info.length);
        if (want < info.length) return Status.BUFFER_TOO_SMALL;
        c.memory().write(buf, info);
        f.position++;
        return Status.SUCCESS;
    }

    long getPosition(Call c) {
        OpenFile f = open.get(c.arg(0));
        if (f == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        if (f.node.directory()) return c.unsupported("directory");
        c.memory().u64(c.arg(1), f.position);
        return Status.SUCCESS;
    }

    long setPosition(Call c) {
        OpenFile f = open.get(c.arg(0));
        if (f == null) return Status.INVALID_PARAMETER;
        long pos = c.arg(1);
        if (f.node.directory()) {
            if (pos != 0) return c.unsupported("directory position " + Long.toUnsignedString(pos));
            f.position = 0;
            return Status.SUCCESS;
        }
        f.position = pos == -1L ? f.node.size() : pos;
        return Status.SUCCESS;
    }

    /** GetInfo(This, InformationType, *BufferSize, Buffer) (§13.5.12): file info, file system info, volume label. */
    long getInfo(Call c) {
        OpenFile f = open.get(c.arg(0));
        long typePtr = c.arg(1), sizePtr = c.arg(2), buf = c.arg(3);
        if (f == null || typePtr == 0 || sizePtr == 0) return Status.INVALID_PARAMETER;
        Guid type = c.memory().guid(typePtr);
        c.note(Guids.name(type));
        byte[] info;
        if (type.equals(SimpleFileSystem.FILE_INFO)) {
            info = fileInfo(f.node, f.names.isEmpty() ? "" : f.node.name());
        } else if (type.equals(SimpleFileSystem.FILE_SYSTEM_INFO)) {
            byte[] label = GuestMemory.utf16z(volume.label());
            ByteBuffer b = ByteBuffer.allocate(36 + label.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(36 + label.length).put((byte) 1).put(new byte[7]).putLong(volume.totalBytes()).putLong(0).putInt(volume.blockSize()).put(label);
            info = b.array();
        } else if (type.equals(SimpleFileSystem.VOLUME_LABEL)) {
            info = GuestMemory.utf16z(volume.label());
        } else {
            return c.unsupported(Guids.name(type));
        }
        long have = c.memory().u64(sizePtr);
        c.memory().u64(sizePtr, info.length);
        if (have < info.length) return Status.BUFFER_TOO_SMALL;
        if (buf == 0) return Status.INVALID_PARAMETER;
        c.memory().write(buf, info);
        return Status.SUCCESS;
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
