package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.loader.Guid;
import java.nio.charset.StandardCharsets;

/**
 * The virtual ESP as the payload sees it: a handle with a device path like a real disk's
 * (VenHw(efiemu)/HD(1,GPT,uuid,...)) and SimpleFileSystem. The partition UUID is derived from the
 * ESP directory's path, so it is stable for an ESP and the payload's LoaderDevicePartUUID agrees.
 */
public final class EspDevice {
    public static final Guid VENDOR = Guids.define("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5", "EfiemuDisk");
    static final long PARTITION_START = 2048, PARTITION_SECTORS = 1 << 20;

    private final Handle handle;
    private final Guid partition;
    private final SimpleFileSystem fs;

    public EspDevice(ProtocolHost host, EspSandbox esp) {
        this(host, esp, PARTITION_SECTORS);
    }

    /** @param sectors the partition size the HD() node reports (the FAT image's, when the ESP is also a disk) */
    public EspDevice(ProtocolHost host, EspSandbox esp, long sectors) {
        this.partition = partitionUuid(esp);
        long dp = host.writeDevicePath(devicePath(partition, sectors));
        Handle h = host.installProtocol(null, Guids.DEVICE_PATH, dp);
        this.fs = new SimpleFileSystem(host, esp, h);
        this.handle = h;
        host.serveFiles(h, name -> readFile(esp, name));
    }

    /** A file LoadImage asked for by device path ("\\EFI\\x.efi"), or null. */
    private static byte[] readFile(EspSandbox esp, String name) {
        java.nio.file.Path p = esp.resolve(EspSandbox.components(java.util.List.of(), name));
        if (p == null || !java.nio.file.Files.isRegularFile(p)) return null;
        try {
            return java.nio.file.Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Where the payload lives on the ESP: the device handle and its path there ("\\EFI\\Linux\\uki.efi"). */
    /**
     * Where the payload is served from.
     *
     * @param gpt the disk's UEFI_GPT_DATA (header and used entries) when the ESP is also a GPT disk,
     *            for the firmware's PCR 5 EV_EFI_GPT_EVENT; else null
     */
    public record Placement(long device, String path, byte[] gpt) {
        public Placement(long device, String path) {
            this(device, path, null);
        }
    }

    /**
     * Serves {@code espDir} as the payload's device: a payload inside the ESP keeps its path; one
     * from elsewhere is shown read-only as \EFI\Linux\<name>, where systemd-stub looks for its
     * sidecars. With no ESP, the payload has no device and a bare file path.
     */
    public static Placement servePayload(ProtocolHost host, java.nio.file.Path espDir, boolean writable, java.nio.file.Path payload)
            throws java.io.IOException {
        return servePayload(host, espDir, writable, payload, false);
    }

    /** As above; with {@code disk}, the ESP is also a read-only block device holding a FAT image of it (for GRUB). */
    public static Placement servePayload(ProtocolHost host, java.nio.file.Path espDir, boolean writable, java.nio.file.Path payload,
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
        if (!disk) {
            // The partition handle carries BlockIo/DiskIo as a real ESP's does: a read-only view of the
            // directory as FAT, built on the first read (LazyEspImage).
            LazyEspImage view = new LazyEspImage(sandbox, extra, partitionUuid(sandbox));
            EspDevice dev = new EspDevice(host, sandbox); // its HD() node as before: image measurements name this path
            new DiskIo(host, dev.handle(), new BlockIo(host, dev.handle(), view, 0, view.size(), true, 512, false));
            return new Placement(dev.handle().address(), path);
        }
        // A GPT disk holding the ESP: a disk handle VenHw(efiemu) and the ESP's partition handle
        // below it, each with BlockIo/DiskIo, as firmware presents a real disk (GRUB needs both).
        FatImage.Disk img = FatImage.build(sandbox, extra, partitionUuid(sandbox));
        try {
            return serveDisk(host, sandbox, path, img);
        } catch (java.io.IOException | RuntimeException e) {
            FatImage.release(img);
            throw e;
        }
    }

    private static Placement serveDisk(ProtocolHost host, EspSandbox sandbox, String path, FatImage.Disk img) throws java.io.IOException {
        long dp = host.writeDevicePath(DevicePath.of(DevicePath.vendorHardware(VENDOR)));
        Handle diskHandle = host.installProtocol(null, Guids.DEVICE_PATH, dp);
        new DiskIo(host, diskHandle, new BlockIo(host, diskHandle, img.image(), 0, java.nio.file.Files.size(img.image()), false));
        EspDevice dev = new EspDevice(host, sandbox, img.fatSectors());
        new DiskIo(host, dev.handle(), new BlockIo(host, dev.handle(), img.image(), img.fatStart() * 512, img.fatSectors() * 512, true));
        byte[] gpt = gptData(img.image());
        FatImage.release(img); // both devices hold it open: nothing stays in the temporary directory
        return new Placement(dev.handle().address(), path, gpt);
    }

    /**
     * UEFI_GPT_DATA (TCG PC Client PFP §10.4.4): the GPT header (LBA 1, HeaderSize bytes), the number
     * of partitions in use, and those EFI_PARTITION_ENTRYs — what the firmware measures into PCR 5.
     */
    static byte[] gptData(java.nio.file.Path image) throws java.io.IOException {
        try (var f = new java.io.RandomAccessFile(image.toFile(), "r")) {
            byte[] header = new byte[512];
            f.seek(512);
            f.readFully(header);
            var h = java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int headerSize = h.getInt(12);
            long entriesLba = h.getLong(72);
            int count = h.getInt(80), entrySize = h.getInt(84);
            var used = new java.io.ByteArrayOutputStream();
            int n = 0;
            byte[] entry = new byte[entrySize];
            for (int i = 0; i < count; i++) {
                f.seek(entriesLba * 512 + (long) i * entrySize);
                f.readFully(entry);
                boolean empty = true;
                for (int j = 0; j < 16; j++) empty &= entry[j] == 0;
                if (empty) continue;
                used.write(entry);
                n++;
            }
            var out = java.nio.ByteBuffer.allocate(headerSize + 8 + used.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            out.put(header, 0, headerSize).putLong(n).put(used.toByteArray());
            return out.array();
        }
    }

    /** The partition GUID: derived from the ESP directory's path, so it is stable for an ESP. */
    public static Guid partitionUuid(EspSandbox esp) {
        return Guid.nameBased(("efiemu-esp:" + esp.root()).getBytes(StandardCharsets.UTF_8));
    }

    /** VenHw(VENDOR)/HD(1,GPT,partition,2048,sectors): a GPT partition on efiemu's disk. */
    static DevicePath devicePath(Guid partition, long sectors) {
        return DevicePath.of(DevicePath.vendorHardware(VENDOR), DevicePath.hardDriveGpt(1, PARTITION_START, sectors, partition));
    }

    public Handle handle() {
        return handle;
    }

    public Guid partitionUuid() {
        return partition;
    }

    public SimpleFileSystem fileSystem() {
        return fs;
    }
}
