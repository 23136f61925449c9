package dev.efiemu.protocols.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A FAT image of the ESP directory for payloads that read disks themselves (GRUB): only what the
 * sandbox would show goes in (no outward symlinks), built with dosfstools' mkfs.vfat and mtools'
 * mcopy in a temporary directory. The staged copy is removed as soon as the image is built, and
 * the image itself once the block devices have it open ({@link #release}): nothing stays behind.
 */
public final class FatImage {
    private FatImage() {}

    /** The FAT file system of a GPT disk image: where it starts and how many 512-byte sectors it has. */
    public record Disk(Path image, long fatStart, long fatSectors) {}

    public static Disk build(EspSandbox esp, List<Path[]> extra, dev.efiemu.loader.Guid partition) throws IOException {
        Path work = Files.createTempDirectory("efiemu-esp-disk");
        try {
            return build(esp, extra, partition, work);
        } catch (IOException | RuntimeException e) {
            deleteTree(work);
            throw e;
        }
    }

    /** Deletes the image file and its directory: call once every reader has it open (the data lives on until they close). */
    public static void release(Disk d) {
        deleteTree(d.image().getParent());
    }

    private static Disk build(EspSandbox esp, List<Path[]> extra, dev.efiemu.loader.Guid partition, Path work) throws IOException {
        Path stage = Files.createDirectories(work.resolve("stage"));
        try {
            return buildFrom(esp, extra, partition, work, stage);
        } finally {
            deleteTree(stage);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }

    /** The FAT file system's size for {@code bytes} of files: 10 % and 16 MiB of room, at least 64 MiB (FAT32's minimum cluster count). */
    static long sectorsFor(long bytes) {
        long mib = Math.max(64, (bytes * 11 / 10 >> 20) + 16);
        return mib * 2048;
    }

    /** The FAT file system's size in sectors that {@link #build} will make of these files, without building it. */
    public static long plannedSectors(EspSandbox esp, List<Path[]> extra) throws IOException {
        long bytes = 0;
        try (Stream<Path> all = Files.walk(esp.root())) {
            for (Path p : all.toList()) {
                if (!p.equals(esp.root()) && esp.inside(p) && Files.isRegularFile(p)) bytes += Files.size(p);
            }
        }
        for (Path[] e : extra) bytes += Files.size(e[0]);
        return sectorsFor(bytes);
    }

    private static Disk buildFrom(EspSandbox esp, List<Path[]> extra, dev.efiemu.loader.Guid partition, Path work, Path stage) throws IOException {
        long bytes = 0;
        try (Stream<Path> all = Files.walk(esp.root())) {
            for (Path p : all.toList()) {
                if (p.equals(esp.root()) || !esp.inside(p)) continue;
                Path to = stage.resolve(esp.root().relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (Files.isRegularFile(p)) {
                    Files.createDirectories(to.getParent());
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                    bytes += Files.size(p);
                }
            }
        }
        for (Path[] e : extra) { // {host file, path inside the ESP}
            Path to = stage.resolve(e[1].toString());
            Files.createDirectories(to.getParent());
            Files.copy(e[0], to, StandardCopyOption.REPLACE_EXISTING);
            bytes += Files.size(e[0]);
        }
        long fatSectors = sectorsFor(bytes);
        Path img = work.resolve("esp.img");
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((Gpt.FIRST_PARTITION_LBA + fatSectors + Gpt.TAIL_SECTORS) * 512);
        }
        run(List.of("mkfs.vfat", "-F", "32", "-n", "EFIEMU-ESP", "--offset", Long.toString(Gpt.FIRST_PARTITION_LBA), img.toString(),
                Long.toString(fatSectors / 2)));
        String at = img + "@@" + Gpt.FIRST_PARTITION_LBA * 512;
        List<String> copy = new ArrayList<>(List.of("mcopy", "-s", "-Q", "-i", at));
        try (Stream<Path> top = Files.list(stage)) {
            for (Path p : top.toList()) copy.add(p.toString());
        }
        copy.add("::/");
        if (copy.size() > 6) run(copy);
        Gpt.write(img, fatSectors, partition);
        return new Disk(img, Gpt.FIRST_PARTITION_LBA, fatSectors);
    }

    private static void run(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException(cmd.get(0) + " not found: install dosfstools and mtools (scripts/setup.sh does)");
        }
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
