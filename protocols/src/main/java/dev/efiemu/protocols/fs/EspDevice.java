package dev.efiemu.protocols.fs;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.handles.DevicePaths;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.memory.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The virtual ESP as the payload sees it: a handle with a device path like a real disk's
 * (VenHw(efiemu)/HD(1,GPT,uuid,...)) and SimpleFileSystem. The partition UUID is derived from the
 * ESP directory's path, so it is stable for an ESP and the payload's LoaderDevicePartUUID agrees.
 */
public final class EspDevice {
    public static final Guid VENDOR = Guids.define("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5", "EfiemuDisk");
    static final long PARTITION_START = 2048, PARTITION_SECTORS = 1 << 20;

    private final Handle handle;
    private final UUID partition;
    private final SimpleFileSystem fs;

    public EspDevice(Machine m, EspSandbox esp) {
        this(m, esp, PARTITION_SECTORS);
    }

    /** @param sectors the partition size the HD() node reports (the FAT image's, when the ESP is also a disk) */
    public EspDevice(Machine m, EspSandbox esp, long sectors) {
        this.partition = partitionUuid(esp);
        byte[] path = devicePath(partition, sectors);
        long dp = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, path.length);
        m.memory().write(dp, path);
        Handle h = m.installProtocol(null, Guids.DEVICE_PATH, dp);
        this.fs = new SimpleFileSystem(m, esp, h);
        this.handle = h;
        var images = dev.efiemu.core.boot.ImageServices.of(m);
        if (images != null) images.pathReader((mm, full) -> readImage(path, esp, full));
    }

    /** LoadImage by device path: this disk's path followed by media file path nodes (UEFI spec §10.3.5.4). */
    private dev.efiemu.core.boot.ImageServices.PathImage readImage(byte[] ours, EspSandbox esp, byte[] full) {
        int n = DevicePaths.prefixLength(ours, full);
        if (n < 0) return null;
        byte[] rest = java.util.Arrays.copyOfRange(full, n, full.length);
        StringBuilder name = new StringBuilder();
        int off = 0;
        while (off + 4 <= rest.length) {
            int type = rest[off] & 0xff, sub = rest[off + 1] & 0xff, len = (rest[off + 2] & 0xff) | (rest[off + 3] & 0xff) << 8;
            if (type == DevicePaths.END_TYPE) break;
            if (type != 4 || sub != 4 || len < 6) return null;
            String part = new String(rest, off + 4, len - 4, java.nio.charset.StandardCharsets.UTF_16LE).replace("\0", "");
            if (name.length() > 0 && !part.startsWith("\\")) name.append('\\');
            name.append(part);
            off += len;
        }
        java.nio.file.Path p = esp.resolve(EspSandbox.components(java.util.List.of(), name.toString()));
        if (p == null || !java.nio.file.Files.isRegularFile(p)) return null;
        try {
            return new dev.efiemu.core.boot.ImageServices.PathImage(java.nio.file.Files.readAllBytes(p), handle.address(), rest);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Where the payload lives on the ESP: the device handle and its path there ("\\EFI\\Linux\\uki.efi"). */
    public record Placement(long device, String path) {}

    /**
     * Serves {@code espDir} as the payload's device: a payload inside the ESP keeps its path; one
     * from elsewhere is shown read-only as \EFI\Linux\<name>, where systemd-stub looks for its
     * sidecars. With no ESP, the payload has no device and a bare file path.
     */
    public static Placement servePayload(Machine m, java.nio.file.Path espDir, boolean writable, java.nio.file.Path payload)
            throws java.io.IOException {
        return servePayload(m, espDir, writable, payload, false);
    }

    /** As above; with {@code disk}, the ESP is also a read-only block device holding a FAT image of it (for GRUB). */
    public static Placement servePayload(Machine m, java.nio.file.Path espDir, boolean writable, java.nio.file.Path payload,
                                         boolean disk) throws java.io.IOException {
        if (espDir == null) return new Placement(0, "\\" + payload.getFileName());
        EspSandbox sandbox = new EspSandbox(espDir, writable);
        String path = sandbox.espPathOf(payload);
        java.util.List<java.nio.file.Path[]> extra = new java.util.ArrayList<>();
        if (path == null) {
            path = "\\EFI\\Linux\\" + payload.getFileName();
            sandbox.overlay(path, payload);
            extra.add(new java.nio.file.Path[] {payload, java.nio.file.Path.of("EFI", "Linux", payload.getFileName().toString())});
        }
        if (!disk) return new Placement(new EspDevice(m, sandbox).handle().address(), path);
        // A GPT disk holding the ESP: a disk handle VenHw(efiemu) and the ESP's partition handle
        // below it, each with BlockIo/DiskIo, as firmware presents a real disk (GRUB needs both).
        FatImage.Disk img = FatImage.build(sandbox, extra, partitionUuid(sandbox));
        try {
            return serveDisk(m, sandbox, path, img);
        } catch (java.io.IOException | RuntimeException e) {
            FatImage.release(img);
            throw e;
        }
    }

    private static Placement serveDisk(Machine m, EspSandbox sandbox, String path, FatImage.Disk img) throws java.io.IOException {
        byte[] diskPath = java.util.Arrays.copyOf(devicePath(partitionUuid(sandbox), img.fatSectors()), 20 + 4);
        System.arraycopy(DevicePaths.END, 0, diskPath, 20, 4);
        long dp = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, diskPath.length);
        m.memory().write(dp, diskPath);
        Handle diskHandle = m.installProtocol(null, Guids.DEVICE_PATH, dp);
        new BlockDevice(m, diskHandle, img.image(), 0, java.nio.file.Files.size(img.image()), false);
        EspDevice dev = new EspDevice(m, sandbox, img.fatSectors());
        new BlockDevice(m, dev.handle(), img.image(), img.fatStart() * 512, img.fatSectors() * 512, true);
        FatImage.release(img); // both devices hold it open: nothing stays in the temporary directory
        return new Placement(dev.handle().address(), path);
    }

    /** VenHw(VENDOR) (type 1, subtype 4) / HD(1, GPT, uuid, 2048, 1 Mi sectors) (type 4, subtype 1, §10.3.5.1) / End. */
    static UUID partitionUuid(EspSandbox esp) {
        return UUID.nameUUIDFromBytes(("efiemu-esp:" + esp.root()).getBytes(StandardCharsets.UTF_8));
    }

    static byte[] devicePath(UUID uuid, long sectors) {
        ByteBuffer b = ByteBuffer.allocate(20 + 42 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 1).put((byte) 4).putShort((short) 20).put(VENDOR.toBytes());
        b.put((byte) 4).put((byte) 1).putShort((short) 42).putInt(1).putLong(PARTITION_START).putLong(sectors);
        b.put(Guid.parse(uuid.toString()).toBytes()).put((byte) 2).put((byte) 2);
        b.put(DevicePaths.END);
        return b.array();
    }

    public Handle handle() {
        return handle;
    }

    public UUID partitionUuid() {
        return partition;
    }

    public SimpleFileSystem fileSystem() {
        return fs;
    }
}
