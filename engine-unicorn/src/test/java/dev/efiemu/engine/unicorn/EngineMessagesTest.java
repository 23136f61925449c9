package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.EngineInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The user-visible engine messages, end to end: a fresh JVM per case, as a user's run would be,
 * with the library path overridden the way a user would override it.
 */
class EngineMessagesTest {
    static final Path DEBIAN = Path.of("/usr/lib/x86_64-linux-gnu/libunicorn.so.2");

    record Outcome(int exit, String out, String err) {}

    static Outcome probe(String libPath) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                        "-Defiemu.unicorn.lib=" + libPath, Cpus.class.getName()))
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("probe hung");
        }
        return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes()), new String(p.getErrorStream().readAllBytes()));
    }

    @Test
    void missingLibraryIsOneClearLine() throws Exception {
        Outcome o = probe("/nonexistent/libunicorn.so.2");
        assertEquals(1, o.exit());
        assertTrue(o.err().contains("Unicorn library not found: -Defiemu.unicorn.lib points to /nonexistent/libunicorn.so.2"), o.err());
        assertTrue(o.err().contains("scripts/setup.sh"), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
    }

    @Test
    void notALibraryIsExplained() throws Exception {
        Path bogus = Files.createTempFile("libunicorn", ".so.2");
        Files.writeString(bogus, "not an ELF");
        try {
            Outcome o = probe(bogus.toString());
            assertEquals(1, o.exit());
            assertTrue(o.err().contains("cannot load Unicorn library " + bogus), o.err());
        } finally {
            Files.delete(bogus);
        }
    }

    @Test
    void debianFallbackWarnsLoudly() throws Exception {
        Outcome o = probe(DEBIAN.toString());
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.out().contains("unicorn 2.0.1 (slow)"), o.out());
        assertTrue(o.err().contains("SLOW ENGINE: Unicorn 2.0.1"), o.err());
    }

    /** Which engine this test JVM runs on is chosen by the surefire execution; say it matches. */
    @Test
    void thisRunUsesTheExpectedEngine() {
        EngineInfo e = Cpus.engine();
        String expected = System.getProperty("efiemu.expect.engine", "fast");
        assertEquals(expected.equals("fast"), e.fast(), e.toString());
        if (!e.fast()) assertTrue(e.warning().startsWith("SLOW ENGINE"), e.warning());
    }
}
