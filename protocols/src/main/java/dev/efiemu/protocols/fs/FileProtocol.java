package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL and EFI_FILE_PROTOCOL (UEFI spec §13.4, §13.5) over one volume:
 * what every file system serves the same way — the trapped functions, one EFI_FILE_PROTOCOL
 * instance per open file sharing them, argument checks, positions, one EFI_FILE_INFO per directory
 * read, the GetInfo buffer protocol. A subclass supplies the volume: how a path opens, what a file
 * holds, what its entries and information are, and what writing does ({@link SimpleFileSystem}: a
 * host directory; {@link FatFileSystem}: a FAT file system in a disk image).
 *
 * @param <F> the subclass's open file
 */
abstract class FileProtocol<F extends FileProtocol.Open> {
    static final long MODE_READ = 1, MODE_WRITE = 2, MODE_CREATE = 0x8000000000000000L;
    /** EFI_FILE_PROTOCOL revision 2 (§13.5.1): OpenEx, ReadEx, WriteEx and FlushEx exist (they answer EFI_UNSUPPORTED). */
    static final long REVISION_2 = 0x00020000;
    /** EFI_SIMPLE_FILE_SYSTEM_PROTOCOL's revision (§13.4.1). */
    static final long SFS_REVISION = 0x00010000;

    /** One open EFI_FILE_PROTOCOL instance: its path from the volume's root, whether it is a directory, its position. */
    static class Open {
        List<String> names;
        final boolean dir;
        long position;

        Open(List<String> names, boolean dir) {
            this.names = names;
            this.dir = dir;
        }

        /** The file's own name; the root's is empty. */
        String name() {
            return names.isEmpty() ? "" : names.get(names.size() - 1);
        }
    }

    protected final ProtocolHost host;
    protected final Map<Long, F> open = new HashMap<>();
    private final long[] fileFunctions;

    FileProtocol(ProtocolHost host) {
        this.host = host;
        this.fileFunctions = host.defineFunctions("File", List.of(
                new FunctionSpec("Open", this::openFile, "This", "NewHandle", "FileName", "OpenMode", "Attributes"),
                new FunctionSpec("Close", c -> open.remove(c.arg(0)) != null ? Status.SUCCESS : Status.INVALID_PARAMETER, "This"),
                new FunctionSpec("Delete", this::deleteFile, "This"),
                new FunctionSpec("Read", this::read, "This", "BufferSize", "Buffer"),
                new FunctionSpec("Write", this::writeFile, "This", "BufferSize", "Buffer"),
                new FunctionSpec("GetPosition", this::getPosition, "This", "Position"),
                new FunctionSpec("SetPosition", this::setPosition, "This", "Position"),
                new FunctionSpec("GetInfo", this::getInfo, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("SetInfo", this::setInfoOf, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("Flush", this::flushFile, "This"),
                new FunctionSpec("OpenEx", null, "This", "NewHandle", "FileName", "OpenMode", "Attributes", "Token"),
                new FunctionSpec("ReadEx", null, "This", "Token"),
                new FunctionSpec("WriteEx", null, "This", "Token"),
                new FunctionSpec("FlushEx", null, "This", "Token")));
    }

    /** Installs EFI_SIMPLE_FILE_SYSTEM_PROTOCOL {u64 Revision; OpenVolume} on {@code handle} (a new handle when null). */
    protected final Handle install(Handle handle) {
        long[] sfs = host.defineFunctions("SimpleFileSystem", List.of(new FunctionSpec("OpenVolume", this::openVolume, "This", "Root")));
        return host.installProtocol(handle, SimpleFileSystem.GUID, host.newInterface(new long[] {SFS_REVISION, sfs[0]}, 0));
    }

    // ---- what a volume supplies ----

    /** The root directory, opened. */
    protected abstract F root();

    /**
     * Opens {@code names} (resolved from the opening directory, never above the root) for a valid
     * {@code mode}: {@link #opened} with the new file, or a failure status.
     */
    protected abstract long open(Call c, List<String> names, long mode, long attributes, long out) throws IOException;

    /** The file's size in bytes. */
    protected abstract long size(F f) throws IOException;

    /** Reads {@code data.length} bytes of the file at {@code position} (within its size). */
    protected abstract void read(F f, long position, byte[] data) throws IOException;

    /** The EFI_FILE_INFO of entry {@code index} of directory {@code dir}, or null past the last. */
    protected abstract byte[] entry(F dir, long index) throws IOException;

    /** GetInfo's answer for {@code type} (FILE_INFO, FILE_SYSTEM_INFO, the volume label), or null for a type it does not know. */
    protected abstract byte[] info(F f, Guid type) throws IOException;

    protected abstract long delete(Call c, F f);

    protected abstract long write(Call c, F f, long sizePtr, long buf);

    protected abstract long setInfo(Call c, F f, Guid type, long size, long buf);

    protected abstract long flush(Call c, F f);

    /** The file's name in the trace's notes (the volume's own spelling). */
    protected String shownName(F f) {
        return f.name();
    }

    /** The status for a volume that failed under a call: the host's I/O error, or a corrupt image. */
    protected abstract long failed(Call c, Exception e);

    // ---- the protocol ----

    /** Makes {@code f} an EFI_FILE_PROTOCOL instance and stores its address at {@code out}. */
    protected final long opened(Call c, long out, F f) {
        long[] fns = new long[1 + fileFunctions.length];
        fns[0] = REVISION_2;
        System.arraycopy(fileFunctions, 0, fns, 1, fileFunctions.length);
        long iface = host.newInterface(fns, 0);
        open.put(iface, f);
        c.memory().u64(out, iface);
        return Status.SUCCESS;
    }

    long openVolume(Call c) {
        if (c.arg(1) == 0) return Status.INVALID_PARAMETER;
        return opened(c, c.arg(1), root());
    }

    /** Open(This, **NewHandle, FileName, OpenMode, Attributes) (§13.5.2): the three valid modes only. */
    long openFile(Call c) {
        F base = open.get(c.arg(0));
        long out = c.arg(1), namePtr = c.arg(2), mode = c.arg(3);
        if (base == null || out == 0 || namePtr == 0) return Status.INVALID_PARAMETER;
        if (mode != MODE_READ && mode != (MODE_READ | MODE_WRITE) && mode != (MODE_READ | MODE_WRITE | MODE_CREATE)) {
            return Status.INVALID_PARAMETER;
        }
        String name = c.memory().utf16z(namePtr, 4096);
        c.note('"' + name + '"');
        try {
            return open(c, EspSandbox.components(base.names, name), mode, c.arg(4), out);
        } catch (IOException | FormatException e) {
            return failed(c, e);
        }
    }

    long deleteFile(Call c) {
        F f = open.remove(c.arg(0));
        return f == null ? Status.INVALID_PARAMETER : delete(c, f);
    }

    /** Read(This, *BufferSize, Buffer) (§13.5.5): file bytes from the position; a directory's next entry. */
    long read(Call c) {
        F f = open.get(c.arg(0));
        long sizePtr = c.arg(1), buf = c.arg(2);
        if (f == null || sizePtr == 0) return Status.INVALID_PARAMETER;
        long want = c.memory().u64(sizePtr);
        try {
            if (f.dir) return readDirectory(c, f, sizePtr, want, buf);
            long size = size(f);
            if (Long.compareUnsigned(f.position, size) > 0) return Status.DEVICE_ERROR;
            int n = (int) Math.min(want < 0 ? Long.MAX_VALUE : want, Math.min(size - f.position, 64L << 20));
            if (n > 0 && buf == 0) return Status.INVALID_PARAMETER;
            byte[] data = new byte[n];
            read(f, f.position, data);
            c.memory().write(buf, data);
            c.memory().u64(sizePtr, n);
            f.position += n;
            c.note(n + " bytes of " + shownName(f));
            return Status.SUCCESS;
        } catch (IOException | FormatException e) {
            return failed(c, e);
        }
    }

    /** One EFI_FILE_INFO per read; an empty read is the end (§13.5.5). */
    private long readDirectory(Call c, F f, long sizePtr, long want, long buf) throws IOException {
        byte[] info = entry(f, f.position);
        if (info == null) {
            c.memory().u64(sizePtr, 0);
            return Status.SUCCESS;
        }
        c.memory().u64(sizePtr, info.length);
        if (want < info.length) return Status.BUFFER_TOO_SMALL;
        c.memory().write(buf, info);
        f.position++;
        return Status.SUCCESS;
    }

    long writeFile(Call c) {
        F f = open.get(c.arg(0));
        if (f == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        return write(c, f, c.arg(1), c.arg(2));
    }

    /** GetPosition(This, *Position) (§13.5.8): a directory's is EFI_UNSUPPORTED. */
    long getPosition(Call c) {
        F f = open.get(c.arg(0));
        if (f == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        if (f.dir) return c.unsupported("directory");
        c.memory().u64(c.arg(1), f.position);
        return Status.SUCCESS;
    }

    /** SetPosition(This, Position) (§13.5.7): all ones is the end of the file; a directory can only go back to its start. */
    long setPosition(Call c) {
        F f = open.get(c.arg(0));
        if (f == null) return Status.INVALID_PARAMETER;
        long pos = c.arg(1);
        if (f.dir) {
            if (pos != 0) return c.unsupported("directory position " + Long.toUnsignedString(pos));
            f.position = 0;
            return Status.SUCCESS;
        }
        try {
            f.position = pos == -1L ? size(f) : pos;
        } catch (IOException | FormatException e) {
            return failed(c, e);
        }
        return Status.SUCCESS;
    }

    /** GetInfo(This, InformationType, *BufferSize, Buffer) (§13.5.12): the size first, then the bytes when they fit. */
    long getInfo(Call c) {
        F f = open.get(c.arg(0));
        long typePtr = c.arg(1), sizePtr = c.arg(2), buf = c.arg(3);
        if (f == null || typePtr == 0 || sizePtr == 0) return Status.INVALID_PARAMETER;
        Guid type = c.memory().guid(typePtr);
        c.note(Guids.name(type));
        byte[] info;
        try {
            info = info(f, type);
        } catch (IOException | FormatException e) {
            return failed(c, e);
        }
        if (info == null) return c.unsupported(Guids.name(type));
        long have = c.memory().u64(sizePtr);
        c.memory().u64(sizePtr, info.length);
        if (have < info.length) return Status.BUFFER_TOO_SMALL;
        if (buf == 0) return Status.INVALID_PARAMETER;
        c.memory().write(buf, info);
        return Status.SUCCESS;
    }

    long setInfoOf(Call c) {
        F f = open.get(c.arg(0));
        if (f == null || c.arg(1) == 0 || c.arg(3) == 0) return Status.INVALID_PARAMETER;
        Guid type = c.memory().guid(c.arg(1));
        c.note(Guids.name(type));
        return setInfo(c, f, type, c.arg(2), c.arg(3));
    }

    long flushFile(Call c) {
        F f = open.get(c.arg(0));
        return f == null ? Status.INVALID_PARAMETER : flush(c, f);
    }
}
