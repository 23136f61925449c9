package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.Guid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL and EFI_FILE_PROTOCOL (UEFI spec §13.4, §13.5) over a host
 * directory: the virtual ESP ({@link EspSandbox}: nothing outside it, the payload's own file shown
 * read-only). Read-only unless made writable; writes then go straight to the host file.
 */
public final class SimpleFileSystem extends FileProtocol<SimpleFileSystem.OpenFile> {
    public static final Guid GUID = Guids.define("964e5b22-6459-11d2-8e39-00a0c969723b", "SimpleFileSystem");
    public static final Guid FILE_INFO = Guids.define("09576e92-6d3f-11d2-8e39-00a0c969723b", "FileInfo");
    public static final Guid FILE_SYSTEM_INFO = Guids.define("09576e93-6d3f-11d2-8e39-00a0c969723b", "FileSystemInfo");
    public static final Guid VOLUME_LABEL = Guids.define("db47d7d3-fe81-11d3-9a35-0090273fc14d", "FileSystemVolumeLabel");
    static final long WARN_DELETE_FAILURE = 2;
    static final String LABEL = "EFIEMU-ESP";
    /** The largest file a FAT32 ESP holds: nothing the guest writes grows a host file past it. */
    static final long FAT32_MAX_FILE = 0xffffffffL;

    /** One open file: its host path, and whether it was opened for writing. */
    static final class OpenFile extends FileProtocol.Open {
        Path path;
        final boolean canWrite;

        OpenFile(List<String> names, Path path, boolean dir, boolean canWrite) {
            super(names, dir);
            this.path = path;
            this.canWrite = canWrite;
        }
    }

    private final EspSandbox esp;
    private final Handle handle;

    /** Installs the file system on {@code handle} (a new handle when null). */
    public SimpleFileSystem(ProtocolHost host, EspSandbox esp, Handle handle) {
        super(host);
        this.esp = esp;
        this.handle = install(handle);
    }

    public Handle handle() {
        return handle;
    }

    public EspSandbox esp() {
        return esp;
    }

    @Override
    protected OpenFile root() {
        return new OpenFile(List.of(), esp.root(), true, esp.writable());
    }

    /** Open (§13.5.2): inside the ESP only; CREATE makes the file or directory (Attributes' DIRECTORY). */
    @Override
    protected long open(Call c, List<String> names, long mode, long attrs, long out) {
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
        return opened(c, out, new OpenFile(names, p, Files.isDirectory(p), wantWrite));
    }

    @Override
    protected long delete(Call c, OpenFile f) {
        if (!esp.writable() || !f.canWrite || f.names.isEmpty()) return WARN_DELETE_FAILURE;
        try {
            Files.delete(f.path);
            return Status.SUCCESS;
        } catch (IOException e) {
            return WARN_DELETE_FAILURE;
        }
    }

    @Override
    protected long size(OpenFile f) throws IOException {
        return Files.size(f.path);
    }

    @Override
    protected void read(OpenFile f, long position, byte[] data) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.path.toFile(), "r")) {
            r.seek(position);
            r.readFully(data);
        }
    }

    @Override
    protected String shownName(OpenFile f) {
        return f.path.getFileName().toString();
    }

    @Override
    protected long failed(Call c, Exception e) {
        return Status.DEVICE_ERROR;
    }

    @Override
    protected long flush(Call c, OpenFile f) {
        return Status.SUCCESS;
    }

    @Override
    protected byte[] entry(OpenFile dir, long index) throws IOException {
        List<Path> entries = listing(dir);
        if (index >= entries.size()) return null;
        Path e = entries.get((int) index);
        String shown = overlayName(dir, e);
        return FileInfo.of(e, shown != null ? shown : e.getFileName().toString(), readOnly(e));
    }

    /** A directory's entries: what the host directory holds inside the ESP, then the overlay files shown in it. */
    private List<Path> listing(OpenFile dir) throws IOException {
        List<Path> out = new ArrayList<>();
        Map<String, Path> shown = esp.overlaysIn(dir.names);
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

    /** Write (§13.5.6) at the position, never past what a FAT32 file holds. */
    @Override
    protected long write(Call c, OpenFile f, long sizePtr, long buf) {
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

    /** GetInfo (§13.5.12): the file's info (the payload's own file read-only), the file system's, the label. */
    @Override
    protected byte[] info(OpenFile f, Guid type) throws IOException {
        if (type.equals(FILE_INFO)) return FileInfo.of(f.path, f.name(), readOnly(f.path));
        if (type.equals(FILE_SYSTEM_INFO)) return fileSystemInfo();
        if (type.equals(VOLUME_LABEL)) return GuestMemory.utf16z(LABEL);
        return null;
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
    @Override
    protected long setInfo(Call c, OpenFile f, Guid type, long size, long buf) {
        if (!esp.writable()) return Status.WRITE_PROTECTED;
        if (!type.equals(FILE_INFO)) return c.unsupported(Guids.name(type));
        if (size < FileInfo.HEADER + 2 || size > FileInfo.HEADER + 2L * 4096) return Status.BAD_BUFFER_SIZE;
        FileInfo.Fields want = FileInfo.parse(c.memory().read(buf, (int) size));
        if (want == null) return Status.INVALID_PARAMETER;
        if (Long.compareUnsigned(want.fileSize(), FAT32_MAX_FILE) > 0) return Status.VOLUME_FULL;
        if (!f.canWrite) return Status.ACCESS_DENIED;
        String currentName = f.name();
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
