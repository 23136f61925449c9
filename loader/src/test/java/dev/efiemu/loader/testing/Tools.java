package dev.efiemu.loader.testing;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the reference tools (pesign, sbverify); scripts/setup.sh installs them, and a test whose tool is missing fails. */
public final class Tools {
    private Tools() {}

    public record Result(int exitCode, String output) {}

    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    /** Fails (never skips) when {@code tool} is not installed. */
    public static void require(String tool, String debianPackage) {
        if (!onPath(tool)) {
            throw new AssertionError(tool + " is not installed: scripts/setup.sh installs it (apt-get install " + debianPackage + ")");
        }
    }

    public static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The digest `pesign --hash` prints ("hash: <hex>"). */
    public static String pesignHash(Path file, String algorithm) {
        Result r = algorithm.equals("SHA-1") ? run("pesign", "--hash", "-d", "sha1", "-i", file.toString())
                : run("pesign", "--hash", "-i", file.toString());
        for (String line : r.output().split("\n")) {
            if (line.startsWith("hash: ")) return line.substring(6).strip();
        }
        throw new IllegalStateException("pesign printed no hash for " + file + ": " + r.output());
    }

    /** True when `sbverify --cert CERT FILE` accepts the image. */
    public static boolean sbverifyOk(Path cert, Path file) {
        Result r = run("sbverify", "--cert", cert.toString(), file.toString());
        return r.exitCode() == 0 && r.output().contains("Signature verification OK");
    }
}
