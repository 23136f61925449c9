package dev.efiemu.engine.unicorn;

import com.sun.jna.NativeLibrary;
import dev.efiemu.cpu.EngineInfo;
import dev.efiemu.cpu.EngineUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and loads libunicorn.so.2 (see docs/architecture.md): an explicit path (system property
 * {@value #PROPERTY} or environment {@value #ENV}) wins; else the fast 2.1.4 library the set-up
 * extracted from the official wheel into the cache, loaded only when its sha256 is the one pinned
 * in the repository ({@code scripts/unicorn.sha256}); else Debian's libunicorn2 2.0.1, with a loud
 * warning that it is slow. One library per JVM.
 */
public final class UnicornLibrary {
    public static final String PROPERTY = "efiemu.unicorn.lib";
    public static final String ENV = "EFIEMU_UNICORN_LIB";
    public static final String FAST_VERSION = "2.1.4";
    /** First version with the virtual TLB and the inline store path we rely on. */
    static final int MIN_FAST = (2 << 24) | (1 << 16) | (2 << 8);

    static final String SETUP_HINT =
            "run ./scripts/setup.sh (fetches Unicorn " + FAST_VERSION + " with pip into ~/.cache/efiemu)"
                    + " or apt-get install libunicorn2";

    private static final Logger log = LoggerFactory.getLogger(UnicornLibrary.class);
    private static EngineInfo loaded;
    private static int loadedVersion;
    private static NativeLibrary loadedLib;
    private static Path loadedPath;
    private static String loadedSha256;

    private UnicornLibrary() {}

    /** Where a library was found and whether it is the user's explicit choice. */
    record Candidate(Path path, boolean explicit) {}

    /**
     * Picks the library to load. Pure: the environment and file checks are passed in, so tests can
     * prove every message.
     *
     * @throws EngineUnavailableException with one line naming what is missing and how to get it
     */
    static Candidate resolve(Map<String, String> env, String property, Predicate<Path> exists) {
        String explicit = property != null && !property.isBlank() ? property : env.get(ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!exists.test(p)) {
                String from = property != null && !property.isBlank() ? "-D" + PROPERTY : ENV;
                throw new EngineUnavailableException(
                        "Unicorn library not found: " + from + " points to " + p + ", which does not exist; "
                                + "unset it or " + SETUP_HINT);
            }
            return new Candidate(p, true);
        }
        List<Path> tried = new ArrayList<>();
        Path fast = fastPath(env);
        tried.add(fast);
        if (exists.test(fast)) return new Candidate(fast, false);
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/lib")) {
            Path p = Path.of(dir, "libunicorn.so.2");
            tried.add(p);
            if (exists.test(p)) return new Candidate(p, false);
        }
        throw new EngineUnavailableException(
                "Unicorn library not found (looked at " + tried.get(0) + " and Debian's libunicorn2 paths): " + SETUP_HINT);
    }

    /** Where scripts/setup.sh puts the fast library. */
    static Path fastPath(Map<String, String> env) {
        return cacheDir(env).resolve("unicorn").resolve(FAST_VERSION).resolve("libunicorn.so.2");
    }

    static Path cacheDir(Map<String, String> env) {
        String c = env.get("EFIEMU_CACHE");
        if (c != null && !c.isBlank()) return Path.of(c);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "efiemu");
        return Path.of(System.getProperty("user.home"), ".cache", "efiemu");
    }

    /** The warning shown when only a slow engine is available, or null for a fast one. */
    static String slowWarning(int version, Path path) {
        if (version >= MIN_FAST) return null;
        return "SLOW ENGINE: Unicorn " + versionString(version) + " from " + path
                + " has no fast store path; kernel stubs will run 5-15x slower. For the fast engine "
                + "run ./scripts/setup.sh (Unicorn " + FAST_VERSION + ").";
    }

    static String versionString(int v) {
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff);
    }

    /** The sha256 pinned for {@code name} in {@code scripts/unicorn.sha256} (bundled as a resource). */
    static String pinnedSha256(String name) {
        try (var in = UnicornLibrary.class.getResourceAsStream("unicorn.sha256")) {
            if (in == null) throw new IllegalStateException("unicorn.sha256 missing from the engine-unicorn jar");
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 2 && f[1].equals(name)) return f[0];
            }
            throw new IllegalStateException("unicorn.sha256 pins nothing for " + name);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read unicorn.sha256: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses the cached fast library unless it is the pinned one: it is native code fetched from
     * the network, run inside this process.
     *
     * @throws EngineUnavailableException with one line naming the file, both digests and the fix
     */
    static void checkPinned(Path lib, String actualSha256) {
        String want = pinnedSha256("libunicorn.so.2");
        if (!want.equals(actualSha256)) {
            throw new EngineUnavailableException(lib + ": sha256 " + actualSha256 + " is not the pinned " + want
                    + " (scripts/unicorn.sha256); refusing to load it: delete it and run ./scripts/setup.sh");
        }
    }

    static String sha256(Path p) {
        try (var in = Files.newInputStream(p)) {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.io.IOException e) {
            throw new EngineUnavailableException("cannot read Unicorn library " + p + ": " + e.getMessage() + "; " + SETUP_HINT);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads (once) and describes the engine library. */
    public static synchronized EngineInfo load() {
        if (loaded != null) return loaded;
        Candidate c = resolve(System.getenv(), System.getProperty(PROPERTY), Files::isRegularFile);
        if (!c.explicit() && c.path().equals(fastPath(System.getenv()))) {
            loadedSha256 = sha256(c.path());
            checkPinned(c.path(), loadedSha256);
        }
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(c.path().toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new EngineUnavailableException("cannot load Unicorn library " + c.path() + ": "
                    + firstLine(e.getMessage()) + "; " + SETUP_HINT);
        }
        try {
            Uc.bind(lib);
        } catch (UnsatisfiedLinkError e) {
            throw new EngineUnavailableException(c.path() + " is not a usable Unicorn 2 library: "
                    + firstLine(e.getMessage()) + "; " + SETUP_HINT);
        }
        loadedLib = lib;
        loadedPath = c.path();
        loadedVersion = Uc.uc_version(null, null);
        if ((loadedVersion >>> 24) != 2) {
            throw new EngineUnavailableException(c.path() + " is Unicorn " + versionString(loadedVersion)
                    + ", efiemu needs Unicorn 2; " + SETUP_HINT);
        }
        String warning = slowWarning(loadedVersion, c.path());
        loaded = new EngineInfo("unicorn", versionString(loadedVersion), c.path().toString(), warning == null, warning);
        if (warning != null) {
            log.warn(warning);
        } else {
            log.debug("engine: {}", loaded);
        }
        return loaded;
    }

    /** The library loaded by {@link #load}, for symbol look-ups ({@link ExitChecks}). */
    static synchronized NativeLibrary nativeLibrary() {
        load();
        return loadedLib;
    }

    /**
     * Whether the loaded library is byte for byte the one pinned in {@code scripts/unicorn.sha256},
     * whatever path it was loaded from (hashed once per JVM when it was chosen explicitly).
     */
    static synchronized boolean isPinned() {
        load();
        if (loadedSha256 == null) loadedSha256 = sha256(loadedPath);
        return pinnedSha256("libunicorn.so.2").equals(loadedSha256);
    }

    static boolean fast() {
        return load().fast();
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
