package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.EngineUnavailableException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Library selection rules and their messages, without touching the file system. */
class UnicornLibraryTest {
    static final Path DEBIAN = Path.of("/usr/lib/x86_64-linux-gnu/libunicorn.so.2");
    static final Path FAST = Path.of("/c/efiemu/unicorn/2.1.4/libunicorn.so.2");
    static final Map<String, String> ENV = Map.of("EFIEMU_CACHE", "/c/efiemu");

    @Test
    void cachedFastLibraryWinsOverDebian() {
        var c = UnicornLibrary.resolve(ENV, null, Set.of(FAST, DEBIAN)::contains);
        assertEquals(FAST, c.path());
    }

    @Test
    void debianIsTheFallback() {
        var c = UnicornLibrary.resolve(ENV, null, Set.of(DEBIAN)::contains);
        assertEquals(DEBIAN, c.path());
    }

    @Test
    void explicitPathWinsAndMustExist() {
        var c = UnicornLibrary.resolve(Map.of(UnicornLibrary.ENV, DEBIAN.toString()), null, Set.of(FAST, DEBIAN)::contains);
        assertEquals(DEBIAN, c.path());
        var e = assertThrows(EngineUnavailableException.class,
                () -> UnicornLibrary.resolve(Map.of(UnicornLibrary.ENV, "/nowhere/lib.so"), null, p -> false));
        assertTrue(e.getMessage().contains("EFIEMU_UNICORN_LIB points to /nowhere/lib.so, which does not exist"), e.getMessage());
    }

    @Test
    void nothingFoundSaysWhatIsMissingAndHowToGetIt() {
        var e = assertThrows(EngineUnavailableException.class, () -> UnicornLibrary.resolve(ENV, null, p -> false));
        String m = e.getMessage();
        assertTrue(m.startsWith("Unicorn library not found"), m);
        assertTrue(m.contains("scripts/setup.sh") && m.contains("apt-get install libunicorn2"), m);
        assertEquals(-1, m.indexOf('\n'), "one line");
    }

    @Test
    void slowWarningOnlyBelow212() {
        int v201 = (2 << 24) | (0 << 16) | (1 << 8);
        int v212 = (2 << 24) | (1 << 16) | (2 << 8) | 255;
        assertTrue(UnicornLibrary.slowWarning(v201, DEBIAN).startsWith("SLOW ENGINE: Unicorn 2.0.1 from " + DEBIAN));
        assertNull(UnicornLibrary.slowWarning(v212, FAST));
    }

    @Test
    void theCachedLibraryMustBeThePinnedOne() {
        String pinned = UnicornLibrary.pinnedSha256("libunicorn.so.2");
        assertEquals(64, pinned.length(), pinned);
        UnicornLibrary.checkPinned(FAST, pinned);
        String other = "0".repeat(64);
        var e = assertThrows(EngineUnavailableException.class, () -> UnicornLibrary.checkPinned(FAST, other));
        assertEquals(FAST + ": sha256 " + other + " is not the pinned " + pinned
                + " (scripts/unicorn.sha256); refusing to load it: delete it and run ./scripts/setup.sh", e.getMessage());
        assertTrue(UnicornLibrary.pinnedSha256("unicorn-2.1.4-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").matches("[0-9a-f]{64}"));
    }

    @Test
    void theFastLibraryInTheCacheIsThePinnedOne() {
        Path lib = UnicornLibrary.fastPath(System.getenv());
        assertTrue(java.nio.file.Files.isRegularFile(lib), lib + " missing: scripts/setup.sh fetches it");
        assertEquals(UnicornLibrary.pinnedSha256("libunicorn.so.2"), UnicornLibrary.sha256(lib));
    }
}
