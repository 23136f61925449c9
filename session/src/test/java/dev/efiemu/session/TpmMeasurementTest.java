package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.Swtpm;
import dev.efiemu.fixtures.Tpm2Eventlog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
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
            Map<String, String> tpm = Tpm2Eventlog.pcrValues(sw.pcrread("sha1:9,11+sha256:9,11"));
            assertEquals(4, tpm.size(), tpm.toString());
            for (BootReport.Pcr p : r.pcrs()) {
                String key = p.bank() + ":" + p.index();
                if (tpm.containsKey(key)) assertEquals(tpm.get(key), p.hex(), key);
            }
            Map<String, String> replayed = Tpm2Eventlog.of(log).pcrs();
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
            Map<String, String> once = Tpm2Eventlog.pcrValues(sw.pcrread("sha256:11"));
            boot(sw, second, first);
            Map<String, String> twice = Tpm2Eventlog.pcrValues(sw.pcrread("sha256:11"));
            assertFalse(once.get("sha256:11").equals(twice.get("sha256:11")), "PCR 11 moved on");
            byte[] a = Files.readAllBytes(first), b = Files.readAllBytes(second);
            assertTrue(Arrays.equals(a, Arrays.copyOf(b, a.length)), "the second log starts with the first");
            assertEquals(twice.get("sha256:11"), Tpm2Eventlog.of(second).pcrs().get("sha256:11"));
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
