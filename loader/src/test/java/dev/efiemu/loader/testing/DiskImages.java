package dev.efiemu.loader.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Disk images made by the real tools (dosfstools' mkfs.vfat, mtools' mcopy, util-linux's sfdisk,
 * xorriso), for the disk parsers' tests. A missing tool fails the test (scripts/setup.sh installs them).
 */
public final class DiskImages {
    private DiskImages() {}

    static Tools.Result ok(String... cmd) {
        Tools.require(cmd[0], switch (cmd[0]) {
            case "mkfs.vfat" -> "dosfstools";
            case "sfdisk" -> "fdisk";
            case "xorriso" -> "xorriso";
            default -> "mtools";
        });
        Tools.Result r = run(cmd);
        assertEquals(0, r.exitCode(), String.join(" ", cmd) + ": " + r.output());
        return r;
    }

    static Tools.Result run(String... cmd) {
        List<String> c = new ArrayList<>(List.of(cmd));
        try {
            ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true);
            pb.environment().put("MTOOLS_SKIP_CHECK", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return new Tools.Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A FAT{bits} file system of {@code kib} KiB holding {@code tree}'s contents. */
    public static Path fat(Path img, int bits, long kib, Path tree) throws IOException {
        Files.deleteIfExists(img);
        ok("mkfs.vfat", "-C", "-F", Integer.toString(bits), "-n", "EFIEMU" + bits, img.toString(), Long.toString(kib));
        copyInto(img.toString(), tree);
        return img;
    }

    /** Copies the contents of {@code tree} into the FAT at {@code target} (mtools' image@@offset form allowed). */
    public static void copyInto(String target, Path tree) throws IOException {
        if (tree == null) return;
        List<String> cmd = new ArrayList<>(List.of("mcopy", "-s", "-Q", "-i", target));
        try (var s = Files.list(tree)) {
            s.sorted().forEach(p -> cmd.add(p.toString()));
        }
        cmd.add("::/");
        if (cmd.size() > 6) ok(cmd.toArray(String[]::new));
    }

    /** An empty image of {@code mib} MiB partitioned by sfdisk with {@code script} (sfdisk's input format). */
    public static Path partitioned(Path img, long mib, String script) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(mib << 20);
        }
        Path in = img.resolveSibling(img.getFileName() + ".sfdisk");
        Files.writeString(in, script);
        Tools.require("sfdisk", "fdisk");
        Tools.Result r = run("sh", "-c", "sfdisk --no-reread --no-tell-kernel '" + img + "' < '" + in + "'");
        assertEquals(0, r.exitCode(), r.output());
        return img;
    }

    /** mkfs.vfat inside an existing image, at {@code startSector} (512-byte sectors), {@code kib} KiB. */
    public static void fatAt(Path img, long startSector, int bits, long kib, Path tree) throws IOException {
        ok("mkfs.vfat", "-F", Integer.toString(bits), "--offset", Long.toString(startSector), img.toString(), Long.toString(kib));
        copyInto(img + "@@" + startSector * 512, tree);
    }

    /** An ISO 9660 image of {@code dir} with {@code efiImage} (a path inside dir) as its El Torito EFI boot image. */
    public static Path iso(Path iso, Path dir, String efiImage) {
        ok("xorriso", "-as", "mkisofs", "-quiet", "-r", "-J", "-V", "EFIEMU_TEST", "-o", iso.toString(),
                "-e", efiImage, "-no-emul-boot", dir.toString());
        return iso;
    }
}
