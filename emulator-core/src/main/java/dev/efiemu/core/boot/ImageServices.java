package dev.efiemu.core.boot;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.image.ImageExit;
import dev.efiemu.core.image.ImageFile;
import dev.efiemu.core.image.LoadedImageProtocol;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.image.LoadedImages;
import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineHalt;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.tables.SystemTables;
import dev.efiemu.core.trap.Call;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Image services (UEFI spec §7.4): LoadImage, StartImage, Exit, UnloadImage, ExitBootServices. */
public final class ImageServices {
    static final int SUBSYSTEM_APPLICATION = 10, SUBSYSTEM_BOOT_DRIVER = 11, SUBSYSTEM_RUNTIME_DRIVER = 12;
    private static final Logger log = LoggerFactory.getLogger(ImageServices.class);

    /** Reads a file of a device's file system by its path ("\\EFI\\x.efi"); null when there is none. */
    public interface FileReader {
        byte[] read(String path);
    }

    /**
     * An image read through a device path.
     *
     * @param device   the handle that served it (the child's LoadedImage.DeviceHandle)
     * @param filePath the rest of the path, relative to {@code device} (LoadedImage.FilePath)
     * @param buffer   the pages LoadFile2 read it into (0: none), {@code bufferPages} of them
     */
    record PathImage(byte[] file, long device, DevicePath filePath, long buffer, long bufferPages) {
        PathImage(byte[] file, long device, DevicePath filePath) {
            this(file, device, filePath, 0, 0);
        }
    }

    private final Machine m;
    private final GuestMemory mem;
    private final SystemTables tables;
    private final EventServices events;
    private final Function<byte[], ImageFile> parser;
    private final LoadedImages images;
    private final Map<Long, Boolean> started = new HashMap<>();
    private final Deque<Long> running = new ArrayDeque<>();
    /** Images loaded although the security arch protocol answered EFI_SECURITY_VIOLATION: StartImage refuses them (§7.4). */
    private final java.util.Set<Long> unstartable = new java.util.HashSet<>();
    /** Devices whose files LoadImage reads by path: handle address -> its file system. */
    private final Map<Long, FileReader> fileDevices = new LinkedHashMap<>();
    private int children;

    public ImageServices(Machine m, SystemTables tables, EventServices events, Function<byte[], ImageFile> parser) {
        this.m = m;
        this.mem = m.memory();
        this.tables = tables;
        this.events = events;
        this.parser = parser;
        this.images = m.images();
    }

    /**
     * Lets LoadImage read images from {@code device}'s files: a path that starts with the device's
     * own device path and continues with media file path nodes (UEFI spec §10.3.5.4) names a file
     * of {@code files}. Each device serves its own paths; the longest matching device path wins.
     */
    private final java.util.List<BootObserver> observers = new java.util.ArrayList<>();

    /** Tells {@code o} about every image loaded and about ExitBootServices from now on. */
    public void observe(BootObserver o) {
        observers.add(o);
    }

    /** The observers, for the boot manager's ReadyToBoot. */
    public java.util.List<BootObserver> observers() {
        return java.util.List.copyOf(observers);
    }

    public void serveFiles(Handle device, FileReader files) {
        fileDevices.put(device.address(), files);
    }

    /** LoadImage by device path (as edk2 does: LocateDevicePath over the file systems, then the file). */
    private PathImage readByPath(DevicePath path) {
        Handle best = null;
        DevicePath bestPath = null;
        for (long address : fileDevices.keySet()) {
            Handle h = m.handles().get(address);
            Handle.ProtocolEntry dp = h == null ? null : h.protocol(Guids.DEVICE_PATH);
            if (dp == null || dp.iface == 0) continue;
            DevicePath own = DevicePath.read(mem, dp.iface);
            if (path.startsWith(own) && (bestPath == null || own.nodes().size() > bestPath.nodes().size())) {
                best = h;
                bestPath = own;
            }
        }
        if (best == null) return null;
        DevicePath rest = path.after(bestPath);
        String name = rest.filePathText();
        byte[] file = name == null ? null : fileDevices.get(best.address()).read(name);
        return file == null ? null : new PathImage(file, best.address(), rest);
    }

    public void register(ServiceRegistry<BootService> r) {
        r.add(BootService.LOAD_IMAGE, this::loadImage);
        r.add(BootService.START_IMAGE, this::startImage);
        r.add(BootService.EXIT, this::exit);
        r.add(BootService.UNLOAD_IMAGE, this::unloadImage);
        r.add(BootService.EXIT_BOOT_SERVICES, this::exitBootServices);
    }

    long loadImage(Call c) {
        long parent = c.arg(1), pathPtr = c.arg(2), src = c.arg(3), srcSize = c.arg(4), out = c.arg(5);
        if (out == 0 || images.get(parent) == null) return Status.INVALID_PARAMETER;
        DevicePath path = DevicePath.read(mem, pathPtr);
        byte[] file;
        long device = 0;
        long loaded = 0, loadedPages = 0, pooled = 0; // the firmware's buffers for the file: freed once the image is loaded (or refused)
        if (src != 0) {
            file = mem.read(src, srcSize);
        } else {
            if (path == null) return Status.INVALID_PARAMETER;
            PathImage found = readByPath(path);
            if (found != null) {
                src = pooled = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, found.file().length);
                mem.write(src, found.file());
            } else if ((c.arg(0) & 0xff) == 0) {
                // §7.4: with BootPolicy FALSE, a LoadFile2 device on the path is asked next
                try {
                    found = readByLoadFile2(pathPtr, path, c);
                } catch (LoadFailure e) {
                    c.note(e.getMessage());
                    return e.status;
                }
                if (found != null) {
                    src = loaded = found.buffer();
                    loadedPages = found.bufferPages(); // as allocated: LoadFile2 may have filled less
                }
            }
            if (found == null) return Status.NOT_FOUND;
            file = found.file();
            device = found.device();
            path = found.filePath();
        }
        long verdict = authenticate(pathPtr, src, file.length, c.arg(0));
        // §7.4: EFI_ACCESS_DENIED loads nothing and returns NULL in *ImageHandle; EFI_SECURITY_VIOLATION
        // loads the image, which may not be started; any other error is the answer, and a warning lets
        // the image load (edk2 CoreLoadImageCommon)
        if (Status.isError(verdict) && verdict != Status.SECURITY_VIOLATION) {
            if (loaded != 0) m.memoryMap().free(loaded, loadedPages);
            if (pooled != 0) m.pool().freePinned(pooled);
            if (verdict == Status.ACCESS_DENIED) mem.u64(out, 0);
            c.note("refused by the security arch protocol: " + Status.name(verdict));
            return verdict;
        }
        try {
            LoadedImageRecord rec = load(file, childName(parent, path), parent, device, path);
            mem.u64(out, rec.handle().address());
            c.note(String.format("%d bytes -> %s at 0x%x", file.length, rec.name(), rec.base()));
            if (verdict == Status.SECURITY_VIOLATION) {
                unstartable.add(rec.handle().address());
                c.note("not to be started: the security arch protocol answered EFI_SECURITY_VIOLATION");
                return Status.SECURITY_VIOLATION;
            }
            return Status.SUCCESS;
        } catch (LoadFailure e) {
            c.note(e.getMessage());
            return e.status == Status.UNSUPPORTED ? c.unsupported(e.argument) : e.status;
        } finally {
            if (loaded != 0) m.memoryMap().free(loaded, loadedPages);
            if (pooled != 0) m.pool().freePinned(pooled);
        }
    }

    private static long pages(long bytes) {
        return (bytes + MemoryMap.PAGE - 1) / MemoryMap.PAGE;
    }

    /** Largest image LoadImage reads through LoadFile2 (a decompressed kernel is tens of MiB). */
    static final long LOAD_FILE2_LIMIT = 512L << 20;

    /**
     * LoadImage through EFI_LOAD_FILE2_PROTOCOL (UEFI spec §7.4, §13.2; edk2's CoreLoadImage): the
     * handle whose device path is the longest prefix of {@code path} is asked for the rest of the
     * path, first for its size, then into a buffer — the guest's own code runs (Linux 6.1's zboot
     * decompresses the kernel this way). Null when no LoadFile2 device is on the path.
     */
    private PathImage readByLoadFile2(long pathPtr, DevicePath path, Call c) {
        Handle best = null;
        DevicePath bestPath = null;
        for (Handle h : m.handles().withProtocol(Guids.LOAD_FILE2)) {
            Handle.ProtocolEntry dp = h.protocol(Guids.DEVICE_PATH);
            if (dp == null || dp.iface == 0) continue;
            DevicePath own = DevicePath.read(mem, dp.iface);
            if (path.startsWith(own) && (bestPath == null || own.nodes().size() > bestPath.nodes().size())) {
                best = h;
                bestPath = own;
            }
        }
        if (best == null) return null;
        long iface = best.protocol(Guids.LOAD_FILE2).iface;
        long fn = mem.u64(iface);
        long rest = pathPtr + bestPath.byteLength(); // the remaining path, inside the caller's (as LocateDevicePath gives it)
        DevicePath restPath = path.after(bestPath);
        long sizePtr = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 8);
        try {
            long st = m.callGuest(fn, iface, rest, 0, sizePtr, 0);
            long size = mem.u64(sizePtr);
            if (st != Status.BUFFER_TOO_SMALL || size == 0) {
                throw new LoadFailure(loadFile2Failure(st),
                        "LoadFile2 of " + restPath + " answered " + Status.name(st) + " for its size");
            }
            if (size > LOAD_FILE2_LIMIT) {
                throw new LoadFailure(Status.LOAD_ERROR, "LoadFile2 of " + restPath + " announces " + size + " bytes");
            }
            long buf = m.memoryMap().allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.BOOT_SERVICES_DATA.code(), pages(size), 0);
            mem.u64(sizePtr, size);
            st = m.callGuest(fn, iface, rest, 0, sizePtr, buf);
            if (st != Status.SUCCESS) {
                m.memoryMap().free(buf, pages(size));
                throw new LoadFailure(loadFile2Failure(st), "LoadFile2 of " + restPath + " failed: " + Status.name(st));
            }
            long got = Math.min(size, mem.u64(sizePtr));
            c.note("through LoadFile2 of " + restPath + ":");
            return new PathImage(mem.read(buf, (int) got), best.address(), restPath, buf, pages(size));
        } finally {
            m.pool().freePinned(sizePtr);
        }
    }

    /**
     * LoadImage's answer when LoadFile2 fails with {@code st}: its error (EFI_DEVICE_ERROR is a read
     * error, §7.4), else EFI_LOAD_ERROR — a warning, or EFI_BUFFER_TOO_SMALL, which §7.4 does not
     * list for LoadImage (LoadFile2 asked for a buffer of 0 bytes, or for more the second time).
     */
    private static long loadFile2Failure(long st) {
        return Status.isError(st) && st != Status.BUFFER_TOO_SMALL ? st : Status.LOAD_ERROR;
    }

    /**
     * Asks the installed Security2 (else Security) architectural protocol about an image, through
     * its function pointer in guest memory, as edk2's LoadImage does (DxeCore Image.c). Payloads
     * such as systemd-stub v254+ replace those pointers with their own code; that code is then
     * what runs. No protocol installed: everything is allowed (Secure Boot off).
     */
    private long authenticate(long pathPtr, long buffer, long size, long bootPolicy) {
        var sec2 = m.handles().withProtocol(Guids.SECURITY2_ARCH);
        if (!sec2.isEmpty()) {
            long iface = sec2.get(0).protocol(Guids.SECURITY2_ARCH).iface;
            return m.callGuest(mem.u64(iface), iface, pathPtr, buffer, size, bootPolicy & 0xff);
        }
        var sec = m.handles().withProtocol(Guids.SECURITY_ARCH);
        if (!sec.isEmpty()) {
            long iface = sec.get(0).protocol(Guids.SECURITY_ARCH).iface;
            return m.callGuest(mem.u64(iface), iface, 0, pathPtr);
        }
        return Status.SUCCESS;
    }

    /** A name for traces and reports: the file name when the path has one, else "parent.efi/child-N". */
    private String childName(long parent, DevicePath path) {
        String file = path == null ? null : path.fileName();
        if (file != null) return file;
        LoadedImageRecord p = images.get(parent);
        return (p != null ? p.name() : "image") + "/child-" + (++children);
    }

    /** A LoadImage refusal with the status the spec gives it. */
    public static final class LoadFailure extends RuntimeException {
        public final long status;
        /** For EFI_UNSUPPORTED: what is not supported ("PE machine 0xaa64"), for the summary's count. */
        final String argument;

        public LoadFailure(long status, String message) {
            this(status, message, null);
        }

        LoadFailure(long status, String message, String argument) {
            super(message);
            this.status = status;
            this.argument = argument;
        }
    }

    /**
     * Loads a PE image into memory and gives it a handle with LoadedImage and
     * LoadedImageDevicePath (§7.4 LoadImage, §9.1, §9.2).
     *
     * @param devicePath the path it was loaded from: relative to {@code deviceHandle} when that has a
     *                   device path (a file path node), else the whole path; null when unknown
     */
    public LoadedImageRecord load(byte[] file, String name, long parent, long deviceHandle, DevicePath devicePath) {
        ImageFile pe;
        try {
            pe = parser.apply(file);
        } catch (RuntimeException e) {
            throw new LoadFailure(Status.LOAD_ERROR, name + ": " + e.getMessage());
        }
        if (pe.machine() != m.config().arch().peMachine()) {
            throw new LoadFailure(Status.UNSUPPORTED, String.format("%s: PE machine 0x%x, this machine is %s", name, pe.machine(), m.config().arch()),
                    String.format("PE machine 0x%x", pe.machine()));
        }
        int codeType, dataType;
        switch (pe.subsystem()) {
            case SUBSYSTEM_APPLICATION -> { codeType = MemoryType.LOADER_CODE.code(); dataType = MemoryType.LOADER_DATA.code(); }
            case SUBSYSTEM_BOOT_DRIVER -> { codeType = MemoryType.BOOT_SERVICES_CODE.code(); dataType = MemoryType.BOOT_SERVICES_DATA.code(); }
            case SUBSYSTEM_RUNTIME_DRIVER -> { codeType = MemoryType.RUNTIME_SERVICES_CODE.code(); dataType = MemoryType.RUNTIME_SERVICES_DATA.code(); }
            default -> throw new LoadFailure(Status.UNSUPPORTED, name + ": PE subsystem " + pe.subsystem() + " is not an EFI image",
                    "PE subsystem " + pe.subsystem());
        }
        long align = Math.max(MemoryMap.PAGE, pe.sectionAlignment());
        long pages = (pe.sizeOfImage() + MemoryMap.PAGE - 1) / MemoryMap.PAGE;
        long slack = align / MemoryMap.PAGE - 1;
        long raw = m.memoryMap().allocate(MemoryMap.AllocateType.ANY_PAGES, codeType, pages + slack, 0);
        long base = (raw + align - 1) & -align;
        if (base > raw) m.memoryMap().free(raw, (base - raw) / MemoryMap.PAGE);
        long tail = raw + (pages + slack) * MemoryMap.PAGE - (base + pages * MemoryMap.PAGE);
        if (tail > 0) m.memoryMap().free(base + pages * MemoryMap.PAGE, tail / MemoryMap.PAGE);
        mem.write(base, pe.mapAt(base));

        Handle h = m.handles().create();
        long li = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, LoadedImageProtocol.SIZE);
        // §9.1: FilePath is the image's path relative to DeviceHandle; LoadedImageDevicePath (§9.2)
        // is the whole path, the device's followed by the file's.
        long filePath = 0, fullPath = 0;
        if (devicePath != null) {
            filePath = writePath(devicePath);
            DevicePath full = devicePath;
            Handle dev = m.handles().get(deviceHandle);
            if (dev != null && dev.protocol(Guids.DEVICE_PATH) != null) {
                full = DevicePath.read(mem, dev.protocol(Guids.DEVICE_PATH).iface).append(devicePath);
            }
            fullPath = writePath(full);
        }
        LoadedImageProtocol.write(mem, li, parent, tables.systemTable(), deviceHandle, filePath, base,
                pages * MemoryMap.PAGE, codeType, dataType);
        m.installProtocol(h, Guids.LOADED_IMAGE, li);
        m.installProtocol(h, Guids.LOADED_IMAGE_DEVICE_PATH, fullPath);
        LoadedImageRecord rec = new LoadedImageRecord(h, name, base, pages * MemoryMap.PAGE, base + pe.entryPointRva(),
                pe.subsystem(), li, pages, filePath, fullPath);
        images.add(rec);
        log.debug("loaded {} at 0x{} entry 0x{}", name, Long.toHexString(base), Long.toHexString(rec.entry()));
        DevicePath measuredPath = devicePath == null ? null : fullPath != 0 ? DevicePath.read(mem, fullPath) : devicePath;
        for (BootObserver o : observers) o.imageLoaded(file, rec, measuredPath);
        return rec;
    }

    private long writePath(DevicePath path) {
        byte[] b = path.bytes();
        long a = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, b.length);
        mem.write(a, b);
        return a;
    }

    /** Sets EFI_LOADED_IMAGE_PROTOCOL.LoadOptions to a UTF-16 command line (what Linux stubs read). */
    public void setLoadOptions(LoadedImageRecord rec, String cmdline) {
        byte[] opts = GuestMemory.utf16z(cmdline);
        long a = m.allocatePool(MemoryType.LOADER_DATA, opts.length);
        mem.write(a, opts);
        mem.u32(rec.protocolAddr() + LoadedImageProtocol.LOAD_OPTIONS_SIZE, opts.length);
        mem.u64(rec.protocolAddr() + LoadedImageProtocol.LOAD_OPTIONS, a);
    }

    /** Runs an image's entry point; returns its status (its return value or what it passed to Exit). */
    public long start(LoadedImageRecord rec, long exitDataSizePtr, long exitDataPtr) {
        long h = rec.handle().address();
        started.put(h, true);
        running.push(h);
        long status, dataSize = 0, data = 0;
        try {
            status = m.callGuest(rec.entry(), h, tables.systemTable());
        } catch (ImageExit e) {
            if (e.handle != h) throw e;
            status = e.status;
            dataSize = e.exitDataSize;
            data = e.exitData;
        } finally {
            running.pop();
        }
        // §7.4 StartImage: Exit's ExitData and its size go to a caller who asks for them; an image that
        // returns from its entry point exits without (edk2 CoreStartImage: CoreExit(status, 0, NULL)).
        // With ExitData NULL, ExitDataSize is not touched and the firmware frees the data (edk2).
        if (exitDataPtr != 0 && exitDataSizePtr != 0) {
            mem.u64(exitDataSizePtr, dataSize);
            mem.u64(exitDataPtr, data);
        } else if (data != 0) {
            m.pool().free(data);
        }
        // §7.4 StartImage: an application is unloaded once it returns (edk2 does the same).
        if (rec.subsystem() == SUBSYSTEM_APPLICATION || Status.isError(status)) unload(rec);
        return status;
    }

    long startImage(Call c) {
        LoadedImageRecord rec = images.get(c.arg(0));
        if (rec == null || started.containsKey(c.arg(0))) return Status.INVALID_PARAMETER;
        c.note(rec.name());
        if (unstartable.contains(c.arg(0))) return Status.SECURITY_VIOLATION; // edk2 CoreStartImage: the image's LoadImageStatus
        return start(rec, c.arg(1), c.arg(2));
    }

    long exit(Call c) {
        long h = c.arg(0);
        LoadedImageRecord rec = images.get(h);
        if (rec == null) return Status.INVALID_PARAMETER;
        if (!started.containsKey(h)) {
            unload(rec);
            return Status.SUCCESS;
        }
        if (running.isEmpty() || running.peek() != h) return Status.INVALID_PARAMETER;
        c.note(rec.name() + " exits with " + Status.name(c.arg(1)));
        throw new ImageExit(h, c.arg(1), c.arg(2), c.arg(3));
    }

    long unloadImage(Call c) {
        LoadedImageRecord rec = images.get(c.arg(0));
        if (rec == null) return Status.INVALID_PARAMETER;
        if (started.containsKey(c.arg(0))) return c.unsupported("started image"); // calling the image's Unload function is not implemented
        unload(rec);
        return Status.SUCCESS;
    }

    /** Unloads an image and frees what LoadImage allocated for it: its pages, its LoadedImage protocol and both device paths (edk2's CoreUnloadAndCloseImage). */
    private void unload(LoadedImageRecord rec) {
        images.remove(rec);
        unstartable.remove(rec.handle().address());
        Handle h = rec.handle();
        for (var g : h.guids()) m.handles().uninstall(h, g);
        m.memoryMap().free(rec.base(), rec.pages());
        if (rec.filePath() != 0) m.pool().freePinned(rec.filePath());
        if (rec.fullPath() != 0) m.pool().freePinned(rec.fullPath());
        m.pool().freePinned(rec.protocolAddr());
    }

    /** §7.4 ExitBootServices: a stale map key is refused; otherwise the machine freezes. */
    long exitBootServices(Call c) {
        events.signalGroup(Guids.EVENT_GROUP_BEFORE_EXIT_BOOT_SERVICES);
        if (c.arg(1) != m.memoryMap().mapKey()) {
            c.note("stale map key " + c.arg(1) + ", current " + m.memoryMap().mapKey());
            return Status.INVALID_PARAMETER;
        }
        events.signalGroup(Guids.EVENT_GROUP_EXIT_BOOT_SERVICES);
        for (BootObserver o : observers) o.exitBootServices();
        m.endBootServices();
        Map<String, Long> config = new LinkedHashMap<>();
        tables.configTables().forEach((g, a) -> config.put(Guids.name(g), a));
        HandoffState state = new HandoffState(m.registers(), m.memoryMap().regions(), config, tables.systemTable(), m.memoryMap().allocations());
        c.note("map key " + c.arg(1));
        throw new MachineHalt(new RunOutcome(RunOutcome.Kind.EXIT_BOOT_SERVICES, Status.SUCCESS, state, null,
                "reached ExitBootServices"));
    }
}
