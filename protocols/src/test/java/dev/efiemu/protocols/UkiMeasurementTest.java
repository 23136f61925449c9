package dev.efiemu.protocols;

import dev.efiemu.protocols.tpm.EventLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.Tpm2Eventlog;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.uki.UkiSections;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 4 acceptance 1-4: the real systemd-stub 252 UKI measured into the emulated TPM. */
class UkiMeasurementTest {
    @TempDir
    Path tmp;

    static String exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) throw new AssertionError(cmd + " hung");
        assertEquals(0, p.exitValue(), cmd + ":\n" + out);
        return out;
    }

    static java.util.stream.Stream<String> ukis() {
        return java.util.stream.Stream.of("x86_64", "arm64", "arm64-zboot");
    }

    static Path uki(String which) {
        Fixtures f = Fixtures.cache().requireFetched();
        return switch (which) {
            case "arm64" -> f.arm64Uki();
            case "arm64-zboot" -> f.arm64ZbootUki();
            default -> f.uki();
        };
    }

    /**
     * PCR 11 after the stub, extended with "enter-initrd" as systemd-pcrphase will, equals
     * systemd-measure's prediction: the x86_64 UKI, the arm64 UKI (linuxaa64.efi.stub around
     * Debian's arm64 Image) and the arm64 UKI around a zboot kernel.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("ukis")
    void pcr11MatchesSystemdMeasure(String which) throws Exception {
        Path uki = uki(which);
        UkiSections s = UkiSections.of(PeImage.parse(uki));
        List<String> cmd = new ArrayList<>(List.of("/lib/systemd/systemd-measure", "calculate", "--bank=sha1", "--bank=sha256"));
        for (String sec : List.of("linux", "osrel", "cmdline", "initrd")) {
            Path f = tmp.resolve(sec);
            Files.write(f, s.content("." + sec).orElseThrow());
            cmd.add("--" + sec + "=" + f);
        }
        String predicted = exec(cmd);
        UkiRun.run(uki, null, false, (fw, r) -> {
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, r.outcome().kind(), r.outcome().message());
            EventLog log = r.protocols().tcg2().log();
            long events11 = log.events().stream().filter(e -> e.pcr() == 11).count();
            assertEquals(8, events11, "two events for each of .linux .osrel .cmdline .initrd");
            for (EventLog.Bank b : List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256)) {
                byte[] pcr = log.pcr(b, 11);
                byte[] phase = b.hash("enter-initrd".getBytes(StandardCharsets.US_ASCII));
                byte[] joined = java.util.Arrays.copyOf(pcr, pcr.length + phase.length);
                System.arraycopy(phase, 0, joined, pcr.length, phase.length);
                String expected = "11:" + b.name().toLowerCase() + "=" + HexFormat.of().formatHex(b.hash(joined));
                String firstPhase = predicted.substring(0, predicted.indexOf("# PCR[11] Phase <enter-initrd:leave-initrd>"));
                assertTrue(firstPhase.contains(expected), "systemd-measure predicted:\n" + predicted + "\nemulated: " + expected);
            }
        });
    }

    /** tpm2_eventlog (tpm2-tools) parses our log and, replaying it, computes the PCRs efiemu's virtual TPM holds. */
    @Test
    void eventLogParsesWithTpm2Eventlog() throws Exception {
        Path uki = Fixtures.cache().requireFetched().uki();
        Path logFile = tmp.resolve("eventlog.bin");
        java.util.Map<String, String> ours = new java.util.TreeMap<>();
        UkiRun.run(uki, null, false, (fw, r) -> {
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, r.outcome().kind(), r.outcome().message());
            EventLog log = r.protocols().tcg2().log();
            for (EventLog.Event e : log.events()) {
                for (EventLog.Bank b : log.banks()) {
                    ours.put(b.name().toLowerCase() + ":" + e.pcr(), HexFormat.of().formatHex(log.pcr(b, e.pcr())));
                }
            }
            try {
                Files.write(logFile, log.bytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // tpm2_eventlog warns on stderr about PCR 11 events (kept apart from the YAML)
        Tpm2Eventlog tool = Tpm2Eventlog.of(logFile);
        String yaml = tool.yaml();
        assertTrue(yaml.contains("Spec ID Event03"), yaml);
        assertTrue(yaml.contains("PCRIndex: 11") && yaml.contains("EV_IPL"), yaml);
        java.util.Map<String, String> theirs = new java.util.TreeMap<>(tool.pcrs());
        assertTrue(ours.containsKey("sha256:11") && ours.containsKey("sha1:9"), ours.toString());
        assertEquals(ours, theirs, "PCRs replayed by tpm2_eventlog vs efiemu's virtual TPM");
    }

    /** Credentials from \loader\credentials and <uki>.extra.d reach PCR 12 and the initrd the kernel gets, under .extra/. */
    @Test
    void credentialsAreMeasuredAndPassedInTheInitrd() throws Exception {
        Path esp = tmp.resolve("esp");
        Files.createDirectories(esp.resolve("loader/credentials"));
        Files.createDirectories(esp.resolve("EFI/Linux/uki.efi.extra.d"));
        Files.writeString(esp.resolve("loader/credentials/global.cred"), "global-secret");
        Files.writeString(esp.resolve("EFI/Linux/uki.efi.extra.d/local.cred"), "local-secret");
        Path uki = esp.resolve("EFI/Linux/uki.efi");
        Files.copy(Fixtures.cache().requireFetched().uki(), uki);
        UkiRun.run(uki, esp, false, (fw, r) -> {
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, r.outcome().kind(), r.outcome().message());
            long pcr12 = r.protocols().tcg2().log().events().stream().filter(e -> e.pcr() == 12).count();
            assertTrue(pcr12 >= 2, "PCR 12 events for the credentials: " + pcr12);
            // LINUX_EFI_INITRD_MEDIA config table: {u64 base; u64 size} of what the kernel loaded.
            long table = fw.tables().configTables().get(Guids.LINUX_INITRD_MEDIA);
            long base = fw.machine().memory().u64(table), size = fw.machine().memory().u64(table + 8);
            String initrd = new String(fw.machine().memory().read(base, (int) size), StandardCharsets.ISO_8859_1);
            assertTrue(initrd.contains(".extra/global_credentials/global.cred"), "global credential in the initrd (systemd 252: .extra/global_credentials)");
            assertTrue(initrd.contains(".extra/credentials/local.cred"), "sidecar credential in the initrd");
            assertTrue(initrd.contains("local-secret") && initrd.contains("global-secret"));
        });
    }
}
