package dev.efiemu.protocols.fs;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.disk.DiskLayout;
import dev.efiemu.loader.disk.DiskReader;
import dev.efiemu.loader.disk.FatVolume;
import dev.efiemu.loader.disk.Partition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Disk images given with {@code --disk}, presented as firmware presents disks (UEFI spec §13.3,
 * edk2's PartitionDxe and FAT driver): a handle per disk with VenHw(EfiemuDrive)/Ctrl(n),
 * BlockIo and DiskIo over the whole image; a child handle per partition (GPT and MBR: HD(...),
 * El Torito boot entries: CDROM(...)) with its own BlockIo and DiskIo; SimpleFileSystem wherever a
 * FAT file system is (a FAT partition, an El Torito EFI image, a whole-disk FAT). Everything is
 * read-only: writes answer EFI_WRITE_PROTECTED, and the image file is opened for reading only.
 *
 * <p>Tables and FAT boot sectors are checked when the disk is opened ({@link #open}), before the
 * machine runs: a corrupt one is a {@link FormatException} naming the image and the offset.
 * Partitions of types no firmware driver reads get their handle and block device, no file system.
 */
public final class DiskDevices {
    public static final Guid VENDOR = Guids.define("d6398cab-ed57-4cc1-b4aa-e7ee36197cb1", "EfiemuDrive");
    /** The removable-media boot file for each architecture (UEFI spec §3.5.1.1). */
    public static final String BOOT_X64 = "\\EFI\\BOOT\\BOOTX64.EFI", BOOT_AA64 = "\\EFI\\BOOT\\BOOTAA64.EFI";

    /** A FAT file system on a disk: on the partition {@code partition}, or the whole disk when null. */
    public record Volume(Partition partition, FatVolume fat) {}

    /** An opened, checked disk image. */
    public record Disk(Path file, DiskReader reader, DiskLayout layout, List<Volume> volumes) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    /** Where a removable-media boot file was found. */
    public record BootFile(Disk disk, Volume volume, String path, byte[] bytes) {}

    private DiskDevices() {}

    /**
     * Opens {@code file} read-only and checks it: partition tables, and the FAT boot sector of every
     * partition that the table says is FAT (a partition of another type is probed and used if it
     * holds a FAT file system).
     *
     * @throws FormatException "FILE: what, at which offset"
     * @throws IOException the file cannot be read
     */
    public static Disk open(Path file) throws IOException {
        DiskReader r = DiskReader.open(file);
        try {
            DiskLayout layout = DiskLayout.scan(r);
            List<Volume> volumes = new ArrayList<>();
            if (layout.wholeDiskFat()) volumes.add(new Volume(null, FatVolume.open(r, 0, r.size(), file.toString())));
            for (Partition p : layout.partitions()) {
                String where = file + " " + p.describe();
                if (p.mayBeFat()) {
                    volumes.add(new Volume(p, FatVolume.open(r, p.offset(), p.length(), where)));
                } else if (p.length() >= 512 && FatVolume.looksLikeFat(r.bytes(p.offset(), 512))) {
                    try {
                        volumes.add(new Volume(p, FatVolume.open(r, p.offset(), p.length(), where)));
                    } catch (FormatException e) {
                        // not marked FAT, and not a usable FAT: a data partition, as the FAT driver would leave it
                    }
                }
            }
            return new Disk(file, r, layout, List.copyOf(volumes));
        } catch (FormatException e) {
            r.close();
            throw e.getMessage().startsWith(file.toString()) ? e : e.withSource(file.toString());
        } catch (java.io.UncheckedIOException e) {
            r.close();
            throw e.getCause();
        }
    }

    /**
     * The boot file a firmware boot manager would start from removable media: {@code path} on the
     * first file system (disk order, then partition order) that has it, or null.
     */
    public static BootFile findBoot(List<Disk> disks, String path) {
        List<String> names = EspSandbox.components(List.of(), path);
        for (Disk d : disks) {
            for (Volume v : d.volumes()) {
                FatVolume.Node n = v.fat().lookup(names);
                if (n != null && !n.directory()) return new BootFile(d, v, path, v.fat().readAll(n));
            }
        }
        return null;
    }

    /** The installed handles of one disk: the disk's, and each file system's (same order as {@link Disk#volumes}). */
    public record Installed(Handle disk, List<Handle> volumes) {}

    /** Installs disk number {@code index} (0-based) and its partitions, block devices and file systems. */
    public static Installed install(ProtocolHost host, int index, Disk d) {
        DiskLayout l = d.layout();
        DevicePath diskPath = DevicePath.of(DevicePath.vendorHardware(VENDOR), DevicePath.controller(index));
        Handle disk = host.installProtocol(null, Guids.DEVICE_PATH, host.writeDevicePath(diskPath));
        long size = d.reader().size() / l.blockSize() * l.blockSize();
        new DiskIo(host, disk, new BlockIo(host, disk, d.reader(), 0, size, false, l.blockSize(), l.cdrom()));
        List<Handle> fs = new ArrayList<>();
        for (Volume v : d.volumes()) {
            if (v.partition() == null) {
                new FatFileSystem(host, v.fat(), disk);
                fs.add(disk);
            }
        }
        for (Partition p : l.partitions()) {
            DevicePath path = diskPath.append(DevicePath.of(node(p, l.blockSize())));
            Handle child = host.installProtocol(null, Guids.DEVICE_PATH, host.writeDevicePath(path));
            new DiskIo(host, child, new BlockIo(host, child, d.reader(), p.offset(), p.length(), true, l.blockSize(), l.cdrom()));
            for (Volume v : d.volumes()) {
                if (v.partition() == p) {
                    new FatFileSystem(host, v.fat(), child);
                    fs.add(child);
                }
            }
        }
        return new Installed(disk, List.copyOf(fs));
    }

    /** The partition's device path node: HD(n,GPT|MBR,...) in 512-byte LBAs, or CDROM(entry,start,size) in the medium's blocks. */
    static DevicePath.Node node(Partition p, int block) {
        return switch (p.scheme()) {
            case GPT -> DevicePath.hardDriveGpt(p.number(), p.offset() / block, p.length() / block, p.gptUnique());
            case MBR -> DevicePath.hardDriveMbr(p.number(), p.offset() / block, p.length() / block, p.signature());
            case EL_TORITO -> DevicePath.cdrom(p.number(), p.offset() / block, p.length() / block);
        };
    }
}
