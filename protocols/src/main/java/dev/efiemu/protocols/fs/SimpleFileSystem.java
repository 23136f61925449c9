package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL and EFI_FILE_PROTOCOL (UEFI spec §13.4, §13.5) over a host
 * directory: the virtual ESP. Every open file is its own EFI_FILE_PROTOCOL instance sharing one set
 * of trapped functions. Read-only unless made writable; writes then go straight to the host file.
 */
public final class SimpleFileSystem {
    public static final Guid GUID = Guids.define("964e5b22-6459-11d2-8e39-00a0c969723b", "SimpleFileSystem");
    public static final Guid FILE_INFO = Guids.define("09576e92-6d3f-11d2-8e39-00a0c969723b", "FileInfo");
    public static final Guid FILE_SYSTEM_INFO = Guids.define("09576e93-6d3f-11d2-8e39-00a0c969723b", "FileSystemInfo");
    public static final Guid VOLUME_LABEL = Guids.define("db47d7d3-fe81-11d3-9a35-0090273fc14d", "FileSystemVolumeLabel");
    static final long MODE_READ = 1, MODE_WRITE = 2, MODE_CREATE = 0x8000000000000000L;
    static final long WARN_DELETE_FAILURE = 2;
    static final String LABEL = "EFIEMU-ESP";
    static final long REVISION_2 = 0x00020000;
    /** The largest file a FAT32 ESP holds: nothing the guest writes grows a host file past it. */
    static final long FAT32_MAX_FILE = 0xffffffffL;

    /** One open EFI_FILE_PROTOCOL instance. */
    static final class OpenFile {
        List<String> names;
        Path path;
        final boolean dir;
        final boolean canWrite;
        long position;

        OpenFile(List<String> names, Path path, boolean dir, boolean canWrite) {
            this.names = names;
            this.path = path;
            this.dir = dir;
            this.canWrite = canWrite;
        }
    }

    private final ProtocolHost host;
    private final EspSandbox esp;
    private final long[] fileFunctions;
    private final Map<Long, OpenFile> open = new HashMap<>();
    private final Handle handle;

    /** Installs the file system on {@code handle} (a new handle when null). */
    public SimpleFileSystem(ProtocolHost host, EspSandbox esp, Handle handle) {
        this.host = host;
        this.esp = esp;
        this.fileFunctions = host.defineFunctions("File", List.of(
                new FunctionSpec("Open", this::openFile, "This", "NewHandle", "FileName", "OpenMode", "Attributes"),
                new FunctionSpec("Close", this::close, "This"),
                new FunctionSpec("Delete", this::delete, "This"),
                new FunctionSpec("Read", this::read, "This", "BufferSize", "Buffer"),
                new FunctionSpec("Write", this::write, "This", "BufferSize", "Buffer"),
                new FunctionSpec("GetPosition", this::getPosition, "This", "Position"),
                new FunctionSpec("SetPosition", this::setPosition, "This", "Position"),
                new FunctionSpec("GetInfo", this::getInfo, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("SetInfo", this::setInfo, "This", "InformationType", "BufferSize", "Buffer"),
                new FunctionSpec("Flush", c -> open.containsKey(c.arg(0)) ? Status.SUCCESS : Status.INVALID_PARAMETER, "This"),
                new FunctionSpec("OpenEx", null, "This", "NewHandle", "FileName", "OpenMode", "Attributes", "Token"),
                new FunctionSpec("ReadEx", null, "This", "Token"),
                new FunctionSpec("WriteEx", null, "This", "Token"),
                new FunctionSpec("FlushEx", null, "This", "Token")));
        // EFI_SIMPLE_FILE_SYSTEM_PROTOCOL {u64 Revision; OpenVolume}: the revision comes first.
        long[] sfs = host.defineFunctions("SimpleFileSystem", List.of(new FunctionSpec("OpenVolume", this::openVolume, "This", "Root")));
        long iface = host.newInterface(new long[] {0x00010000, sfs[0]}, 0);
        this.handle = host.installProtocol(handle, GUID, iface);
    }

    public Handle handle() {
        return handle;
    }

    public EspSandbox esp() {
        return esp;
    }

    private long newFile(OpenFile f) {
        long[] fns = new long[1 + fileFunctions.length];
        fns[0] = REVISION_2;
        System.arraycopy(fileFunctions, 0, fns, 1, fileFunctions.length);
        long iface = host.newInterface(fns, 0);
        open.put(iface, f);
        return iface;
    }

    long openVolume(Call c) {
        if (c.arg(1) == 0) return Status.INVALID_PARAMETER;
        c.memory().u64(c.arg(1), newFile(new OpenFile(List.of(), esp.root(), true, esp.writable())));
        return Status.SUCCESS;
    }

    /** Open(This, **NewHandle, FileName, OpenMode, Attributes) (§13.5.2). */
    long openFile(Call c) {
        OpenFile base = open.get(c.arg(0));
        long out = c.arg(1), namePtr = c.arg(2), mode = c.arg(3), attrs = c.arg(4);
        if (base == null || out == 0 || namePtr == 0) return Status.INVALID_PARAMETER;
        if (mode != MODE_READ && mode != (MODE_READ | MODE_WRITE) && mode != (MODE_READ | MODE_WRITE | MODE_CREATE)) {
            return Status.INVALID_PARAMETER;
        }
        String name = c.memory().utf16z(namePtr, 4096);
        c.note('"' + name + '"');
        List<String> names = EspSandbox.components(base.names, name);
        Path p = esp.resolve(names);
        if (p == null) {
            c.note("outside the ESP");
            return Status.NOT_FOUND;
        }
        boolean wantWrite = (mode & MODE_WRITE) != 0;
        if (wantWrite && !esp.writable()) return Status.WRITE_PROTECTED;
        if (wantWrite && esp.isOverlay(p)) {
            c.note("the payload's own file is read-only");
            return Status.ACCESS_DENIED;
        }
        if (!Files.exists(p)) {
            if ((mode & MODE_CREATE) == 0) return Status.NOT_FOUND;
            try {
                if ((attrs & FileInfo.DIRECTORY) != 0) Files.createDirectory(p);
                else Files.createFile(p);
            } catch (IOException e) {
                return Status.DEVICE_ERROR;
            }
        }
        boolean dir = Files.isDirectory(p);
        c.memory().u64(out, newFile(new OpenFile(names, p, dir, wantWrite)));
        return Status.SUCCESS;
    }

    long close(Call c) {
        return open.remove(c.arg(0)) != null ? Status.SUCCESS : Status.INVALID_PARAMETER;
    }

    long delete(Call c) {
        OpenFile f = open.remove(c.arg(0));
        if (f == null) return Status.INVALID_PARAMETER;
        if (!esp.writable() || !f.canWrite || f.names.isEmpty()) return WARN_DELETE_FAILURE;
        try {
            Files.delete(f.path);
            return Status.SUCCESS;
        } catch (IOException e) {
            return WARN_DELETE_FAILURE;
        }
    }

    long read(Call c) {
        OpenFile f = open.get(c.arg(0));
        long sizePtr = c.arg(1), buf = c.arg(2);
        if (f == null || sizePtr == 0) return Status.INVALID_PARAMETER;
        long want = c.memory().u64(sizePtr);
        try {
            if (f.dir) return readDirectory(c, f, sizePtr, want, buf);
            long size = Files.size(f.path);
            if (Long.compareUnsigned(f.position, size) > 0) return Status.DEVICE_ERROR;
            int n = (int) Math.min(want < 0 ? Long.MAX_VALUE : want, Math.min(size - f.position, 64L << 20));
            byte[] data = new byte[n];
            try (RandomAccessFile r = new RandomAccessFile(f.path.toFile(), "r")) {
                r.seek(f.position);
                r.readFully(data);
            }
            if (n > 0 && buf == 0) return Status.INVALID_PARAMETER;
            c.memory().write(buf, data);
            c.memory().u64(sizePtr, n);
            f.position += n;
            c.note(n + " bytes of " + f.path.getFileName());
            return Status.SUCCESS;
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
    }

    /** Directory reads return one EFI_FILE_INFO per call; an empty read means the end (§13.5.5). */
    private long readDirectory(Call c, OpenFile f, long sizePtr, long want, long buf) throws IOException {
        List<Path> entries = listing(f);
        if (f.position >= entries.size()) {
            c.memory().u64(sizePtr, 0);
            return Status.SUCCESS;
        }
        Path e = entries.get((int) f.position);
        String shown = overlayName(f, e);
        byte[] info = FileInfo.of(e, shown != null ? shown : e.getFileName().toString(), readOnly(e));
        c.memory().u64(sizePtr, info.length);
        if (want < info.length) return Status.BUFFER_TOO_SMALL;
        c.memory().write(buf, info);
        f.position++;
        return Status.SUCCESS;
    }

    /** A directory's entries: what the host directory holds inside the ESP, then the overlay files shown in it. */
    private List<Path> listing(OpenFile dir) throws IOException {
        List<Path> out = new ArrayList<>();
        java.util.Map<String, Path> shown = esp.overlaysIn(dir.names);
        java.util.Set<String> hidden = new java.util.HashSet<>();
        for (String n : shown.keySet()) hidden.add(n.toLowerCase(java.util.Locale.ROOT));
        try (Stream<Path> s = Files.list(dir.path)) {
            for (Path p : s.sorted().toList()) {
                if (hidden.contains(p.getFileName().toString().toLowerCase(java.util.Locale.ROOT))) continue; // the overlay wins
                if (esp.inside(p) && Files.exists(p)) out.add(p);
            }
        }
        for (Path p : shown.values()) if (Files.isRegularFile(p)) out.add(p);
        return out;
    }

    /** The name an overlay file is shown under in directory {@code dir}, or null for an ordinary entry. */
    private String overlayName(OpenFile dir, Path entry) {
        for (var e : esp.overlaysIn(dir.names).entrySet()) if (e.getValue().equals(entry)) return e.getKey();
        return null;
    }

    /** FileInfo's READ_ONLY: the whole ESP unless writable; the payload's own file always. */
    private boolean readOnly(Path p) {
        return !esp.writable() || esp.isOverlay(p);
    }

    long write(Call c) {
        OpenFile f = open.get(c.arg(0));
        long sizePtr = c.arg(1), buf = c.arg(2);
        if (f == null || sizePtr == 0) return Status.INVALID_PARAMETER;
        if (!esp.writable()) return Status.WRITE_PROTECTED;
        if (f.dir) return c.unsupported("directory");
        if (!f.canWrite) return Status.ACCESS_DENIED;
        long n = c.memory().u64(sizePtr);
        if (Long.compareUnsigned(n, FAT32_MAX_FILE) > 0 || Long.compareUnsigned(f.position, FAT32_MAX_FILE - n) > 0) {
            c.note("past the 4 GiB a FAT32 file can hold");
            return Status.VOLUME_FULL;
        }
        byte[] data = c.memory().read(buf, n);
        try (RandomAccessFile r = new RandomAccessFile(f.path.toFile(), "rw")) {
            r.seek(f.position);
            r.write(data);
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        f.position += n;
        return Status.SUCCESS;
    }

    long getPosition(Call c) {
        OpenFile f = open.get(c.arg(0));
        if (f == null || c.arg(1) == 0) return Status.INVALID_PARAMETER;
        if (f.dir) return c.unsupported("directory");
        c.memory().u64(c.arg(1), f.position);
        return Status.SUCCESS;
    }

    long setPosition(Call c) {
        OpenFile f = open.get(c.arg(0));
        if (f == null) return Status.INVALID_PARAMETER;
        long pos = c.arg(1);
        if (f.dir) {
            if (pos != 0) return c.unsupported("directory position " + Long.toUnsignedString(pos));
            f.position = 0;
            return Status.SUCCESS;
        }
        try {
            f.position = pos == -1L ? Files.size(f.path) : pos;
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        return Status.SUCCESS;
    }

    /** GetInfo(This, InformationType, *BufferSize, Buffer) (§13.5.12). */
    long getInfo(Call c) {
        OpenFile f = open.get(c.arg(0));
        long typePtr = c.arg(1), sizePtr = c.arg(2), buf = c.arg(3);
        if (f == null || typePtr == 0 || sizePtr == 0) return Status.INVALID_PARAMETER;
        Guid type = c.memory().guid(typePtr);
        c.note(Guids.name(type));
        byte[] info;
        try {
            if (type.equals(FILE_INFO)) {
                String name = f.names.isEmpty() ? "" : f.names.get(f.names.size() - 1);
                info = FileInfo.of(f.path, name, readOnly(f.path));
            } else if (type.equals(FILE_SYSTEM_INFO)) {
                info = fileSystemInfo();
            } else if (type.equals(VOLUME_LABEL)) {
                info = GuestMemory.utf16z(LABEL);
            } else {
                return c.unsupported(Guids.name(type));
            }
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        long have = c.memory().u64(sizePtr);
        c.memory().u64(sizePtr, info.length);
        if (have < info.length) return Status.BUFFER_TOO_SMALL;
        if (buf == 0) return Status.INVALID_PARAMETER;
        c.memory().write(buf, info);
        return Status.SUCCESS;
    }

    private byte[] fileSystemInfo() throws IOException {
        byte[] label = GuestMemory.utf16z(LABEL);
        var b = java.nio.ByteBuffer.allocate(36 + label.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        var store = Files.getFileStore(esp.root());
        b.putLong(36 + label.length).put((byte) (esp.writable() ? 0 : 1)).put(new byte[7]);
        b.putLong(store.getTotalSpace()).putLong(esp.writable() ? store.getUsableSpace() : 0).putInt(512).put(label);
        return b.array();
    }

    /**
     * SetInfo(This, InformationType, BufferSize, Buffer) (§13.5.13) with EFI_FILE_INFO: a new
     * FileSize truncates or extends the file; a new FileName renames it inside the ESP (relative to
     * its directory, or from the root with a leading '\'); a new ModificationTime or LastAccessTime
     * sets the host file's. What a host directory cannot hold answers EFI_UNSUPPORTED, counted in
     * the summary: FAT attribute bits (READ_ONLY, HIDDEN, SYSTEM) other than those reported, a new
     * CreateTime, and the other information types. Everything is checked before anything changes.
     */
    long setInfo(Call c) {
        OpenFile f = open.get(c.arg(0));
        long size = c.arg(2), buf = c.arg(3);
        if (f == null || c.arg(1) == 0 || buf == 0) return Status.INVALID_PARAMETER;
        Guid type = c.memory().guid(c.arg(1));
        c.note(Guids.name(type));
        if (!esp.writable()) return Status.WRITE_PROTECTED;
        if (!type.equals(FILE_INFO)) return c.unsupported(Guids.name(type));
        if (size < FileInfo.HEADER + 2 || size > FileInfo.HEADER + 2L * 4096) return Status.BAD_BUFFER_SIZE;
        FileInfo.Fields want = FileInfo.parse(c.memory().read(buf, (int) size));
        if (want == null) return Status.INVALID_PARAMETER;
        if (Long.compareUnsigned(want.fileSize(), FAT32_MAX_FILE) > 0) return Status.VOLUME_FULL;
        if (!f.canWrite) return Status.ACCESS_DENIED;
        String currentName = f.names.isEmpty() ? "" : f.names.get(f.names.size() - 1);
        FileInfo.Fields now;
        try {
            now = FileInfo.parse(FileInfo.of(f.path, currentName, readOnly(f.path)));
        } catch (IOException e) {
            return Status.DEVICE_ERROR;
        }
        if ((want.attribute() & ~FileInfo.VALID_ATTRIBUTES) != 0) return Status.INVALID_PARAMETER;
        if (((want.attribute() ^ now.attribute()) & FileInfo.DIRECTORY) != 0) return Status.ACCESS_DENIED;
        if (f.dir && want.fileSize() != 0) return Status.ACCESS_DENIED;
        if (((want.attribute() ^ now.attribute()) & ~FileInfo.ARCHIVE) != 0) {
            return c.unsupported(String.format("file attributes 0x%x", want.attribute()));
        }
        if (want.changes(want.createTime(), now.createTime())) return c.unsupported("CreateTime");
        java.time.Instant access, modified;
        try {
            access = want.changes(want.accessTime(), now.accessTime()) ? FileInfo.instant(want.accessTime()) : null;
            modified = want.changes(want.modificationTime(), now.modificationTime()) ? FileInfo.instant(want.modificationTime()) : null;
        } catch (java.time.DateTimeException e) {
            return Status.INVALID_PARAMETER;
        }
        // A rename: the new place must be inside the ESP, free, and not the payload's own file.
        List<String> newNames = null;
        Path target = null;
        if (!want.name().equals(currentName)) {
            if (f.names.isEmpty()) return Status.ACCESS_DENIED; // the root has no name
            newNames = EspSandbox.components(f.names.subList(0, f.names.size() - 1), want.name());
            if (newNames.isEmpty() || esp.isOverlay(newNames)) return Status.ACCESS_DENIED;
            target = esp.resolve(newNames);
            if (target == null) {
                c.note("outside the ESP");
                return Status.ACCESS_DENIED;
            }
            boolean sameFile = target.equals(f.path); // a change of case only
            if (sameFile) target = f.path.resolveSibling(newNames.get(newNames.size() - 1));
            else if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return Status.ACCESS_DENIED;
            if (!Files.isDirectory(target.getParent())) return Status.NOT_FOUND;
            if (f.dir && target.startsWith(f.path) && !sameFile) return Status.ACCESS_DENIED; // into itself
        }
        try {
            if (target != null) {
                Files.move(f.path, target);
                c.note("renamed to \\" + String.join("\\", newNames));
                f.path = target;
                f.names = newNames;
            }
            if (!f.dir && want.fileSize() != now.fileSize()) {
                try (RandomAccessFile r = new RandomAccessFile(f.path.toFile(), "rw")) {
                    r.setLength(want.fileSize());
                }
            }
            if (access != null || modified != null) {
                Files.getFileAttributeView(f.path, java.nio.file.attribute.BasicFileAttributeView.class).setTimes(
                        modified == null ? null : java.nio.file.attribute.FileTime.from(modified),
                        access == null ? null : java.nio.file.attribute.FileTime.from(access), null);
            }
        } catch (IOException | IllegalArgumentException e) {
            return Status.DEVICE_ERROR;
        }
        return Status.SUCCESS;
    }

}
