package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.Swtpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TCG2 over a real TPM 2.0 (swtpm): what the payload measures reaches the TPM, the PCRs efiemu
 * reports are the ones tpm2_pcrread reads afterwards, and the event log replays (tpm2_eventlog) to
 * them, also when it continues an earlier log.
 */
class TpmMeasurementTest {
    @TempDir
    Path tmp;

    /** "sha256:11" → hex, from tpm2_eventlog's replay of a log, or from tpm2_pcrread. */
    static Map<String, String> pcrs(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String bank = null;
        for (String line : text.split("\n")) {
            Matcher b = Pattern.compile("^\\s*(sha1|sha256|sha384|sha512):\\s*$").matcher(line);
            if (b.find()) {
                bank = b.group(1);
                continue;
            }
            Matcher p = Pattern.compile("^\\s*(\\d+)\\s*:\\s*0x([0-9A-Fa-f]+)").matcher(line);
            if (bank != null && p.find()) out.put(bank + ":" + p.group(1), p.group(2).toLowerCase());
        }
        return out;
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + new String(p.getErrorStream().readAllBytes()));
        return out;
    }

    static Map<String, String> replay(Path log) throws Exception {
        String out = run("tpm2_eventlog", log.toString());
        return pcrs(out.substring(out.indexOf("pcrs:")));
    }

    BootReport boot(Swtpm sw, Path logOut, Path priorLog) throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        BootRequest req = BootRequest.of(fx.uki()).withSeed(1L).withTpm(sw.spec(), priorLog)
                .withConsole(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try (BootSession s = BootSession.open(req)) {
            BootReport r = s.run();
            assertTrue(r.reachedExitBootServices(), r.outcome().message());
            Files.write(logOut, s.eventLog());
            return r;
        }
    }

    @Test
    void theTpmHasWhatTheReportSaysAndTheLogReplaysToIt() throws Exception {
        try (Swtpm sw = Swtpm.start()) {
            Path log = tmp.resolve("log.bin");
            BootReport r = boot(sw, log, null);
            assertTrue(r.tpm().startsWith("TPM 2.0 at " + sw.spec()), r.tpm());
            Map<String, String> tpm = pcrs(sw.pcrread("sha1:9,11+sha256:9,11"));
            assertEquals(4, tpm.size(), tpm.toString());
            for (BootReport.Pcr p : r.pcrs()) {
                String key = p.bank() + ":" + p.index();
                if (tpm.containsKey(key)) assertEquals(tpm.get(key), p.hex(), key);
            }
            Map<String, String> replayed = replay(log);
            for (var e : tpm.entrySet()) assertEquals(e.getValue(), replayed.get(e.getKey()), "replay of " + e.getKey());
            assertFalse(tpm.get("sha256:11").matches("0+"), "the stub measured into PCR 11");
        }
    }

    /** A second boot continues the first boot's log (as a kexec continues the host's): the whole log still replays. */
    @Test
    void aContinuedLogReplaysToTheTpm() throws Exception {
        try (Swtpm sw = Swtpm.start()) {
            Path first = tmp.resolve("first.bin"), second = tmp.resolve("second.bin");
            boot(sw, first, null);
            Map<String, String> once = pcrs(sw.pcrread("sha256:11"));
            boot(sw, second, first);
            Map<String, String> twice = pcrs(sw.pcrread("sha256:11"));
            assertFalse(once.get("sha256:11").equals(twice.get("sha256:11")), "PCR 11 moved on");
            byte[] a = Files.readAllBytes(first), b = Files.readAllBytes(second);
            assertTrue(Arrays.equals(a, Arrays.copyOf(b, a.length)), "the second log starts with the first");
            assertEquals(twice.get("sha256:11"), replay(second).get("sha256:11"));
        }
    }

    /** A truncated log is refused with its offset before anything is measured. */
    @Test
    void aTruncatedLogIsRefusedAndNothingIsExtended() throws Exception {
        try (Swtpm sw = Swtpm.start()) {
            Path full = tmp.resolve("full.bin"), cut = tmp.resolve("cut.bin");
            // a log from the virtual TPM, cut in the middle of an event
            Fixtures fx = Fixtures.cache().requireFetched();
            try (BootSession s = BootSession.open(BootRequest.of(fx.uki()).withSeed(1L)
                    .withConsole(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())))) {
                s.run();
                Files.write(full, s.eventLog());
            }
            byte[] b = Files.readAllBytes(full);
            Files.write(cut, Arrays.copyOf(b, b.length - 7));
            String before = sw.pcrread("sha256:9,11");
            BootError e = assertThrows(BootError.class, () -> BootSession.open(BootRequest.of(fx.uki()).withTpm(sw.spec(), cut)));
            assertTrue(e.getMessage().contains("--tpm-log " + cut) && e.getMessage().contains("truncated at offset")
                    && e.getMessage().contains("nothing extended"), e.getMessage());
            assertEquals(before, sw.pcrread("sha256:9,11"));
        }
    }

    @Test
    void unreachableAndBadSpecsAreOneLine() {
        Fixtures fx = Fixtures.cache().requireFetched();
        BootError a = assertThrows(BootError.class, () -> BootSession.open(BootRequest.of(fx.uki()).withTpm("swtpm:127.0.0.1:1", null)));
        assertTrue(a.getMessage().startsWith("--tpm swtpm:127.0.0.1:1: cannot connect"), a.getMessage());
        BootError b = assertThrows(BootError.class, () -> BootSession.open(BootRequest.of(fx.uki()).withTpm("tpm0", null)));
        assertTrue(b.getMessage().contains("use virtual, a TPM device"), b.getMessage());
        BootError c = assertThrows(BootError.class, () -> BootSession.open(BootRequest.of(fx.uki()).withTpm("/nonexistent/tpmrm0", null)));
        assertTrue(c.getMessage().contains("/nonexistent/tpmrm0") && c.getMessage().contains("cannot open"), c.getMessage());
    }
}
