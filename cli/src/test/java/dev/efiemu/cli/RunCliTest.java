package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's contract: faults and bad input give one clear report and a non-zero exit; measure agrees with the run. */
class RunCliTest {
    @TempDir
    Path tmp;

    static Path coreApp(String name) {
        return TestApps.build(Path.of("../emulator-core/src/test/c", name + ".c"), "x86_64");
    }

    @Test
    void faultingGuestGivesAReportAndExitOne() {
        for (String app : List.of("fault_unmapped", "fault_garbage")) {
            Path efi = coreApp(app);
            CliRun.Result r = CliRun.run("run", efi.toString());
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.err().contains("guest fault:") && r.err().contains(efi.getFileName() + "+0x"), r.err());
            assertTrue(r.err().contains("last service calls:") && r.err().contains("registers:"), r.err());
            assertTrue(r.out().contains("outcome:        FAULT"), r.out());
        }
    }

    @Test
    void badInputIsOneLineAndNothingIsWritten() throws Exception {
        Path missing = tmp.resolve("nope.efi");
        CliRun.Result r = CliRun.run("run", missing.toString(), "--handoff", tmp.resolve("out.elf").toString());
        assertEquals(1, r.exit());
        assertEquals("efiemu: payload " + missing + ": no such file", r.err().strip());
        Path junk = tmp.resolve("junk.efi");
        Files.write(junk, new byte[] {'M', 'Z', 1, 2, 3});
        r = CliRun.run("run", junk.toString(), "--handoff", tmp.resolve("out.elf").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("efiemu: cannot load " + junk), r.err());
        assertTrue(!Files.exists(tmp.resolve("out.elf")));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of("junk.efi"), files.map(p -> p.getFileName().toString()).toList(), "no partial files");
        }
    }

    /** efiemu measure = the emulated run's PCR 11 = systemd-measure calculate (enter-initrd phase). */
    @Test
    void measureAgreesWithTheRunAndWithSystemdMeasure() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        CliRun.Result m = CliRun.run("measure", fx.uki().toString());
        assertEquals(0, m.exit(), m.err());
        CliRun.Result run = CliRun.run("run", fx.uki().toString(), "--seed", "1");
        for (String bank : List.of("sha1", "sha256")) {
            String stub = m.out().lines().filter(l -> l.startsWith("11:" + bank + "=")).findFirst().orElseThrow().substring(3 + bank.length() + 1);
            assertTrue(run.out().contains("11 " + String.format("%-6s", bank) + " " + stub), "run:\n" + run.out() + "\nmeasure:\n" + m.out());
        }
        // systemd-measure from the UKI's own sections
        var s = dev.efiemu.loader.uki.UkiSections.of(dev.efiemu.loader.pe.PeImage.parse(fx.uki()));
        List<String> cmd = new ArrayList<>(List.of("/lib/systemd/systemd-measure", "calculate", "--bank=sha1", "--bank=sha256"));
        for (String sec : List.of("linux", "osrel", "cmdline", "initrd")) {
            Path f = tmp.resolve(sec);
            Files.write(f, s.content("." + sec).orElseThrow());
            cmd.add("--" + sec + "=" + f);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String predicted = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, predicted);
        String firstPhase = predicted.substring(0, predicted.indexOf("# PCR[11] Phase <enter-initrd:leave-initrd>"));
        String ours = m.out().substring(m.out().indexOf("# PCR[11] Phase <enter-initrd>"));
        for (String line : ours.lines().skip(1).toList()) assertTrue(firstPhase.contains(line), line + " in\n" + predicted);
    }

    /**
     * The JSON outputs parse with a real JSON parser (python3's json) and say what the text says:
     * measure --json gives the same PCR 11 values; --handoff-json lists the hand-off's segments and entries.
     */
    @Test
    void jsonOutputsParseAndAgree() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        CliRun.Result text = CliRun.run("measure", fx.uki().toString());
        CliRun.Result json = CliRun.run("measure", fx.uki().toString(), "--json");
        assertEquals(0, json.exit(), json.err());
        String sha256 = text.out().lines().filter(l -> l.startsWith("11:sha256=")).findFirst().orElseThrow().substring(10);
        assertEquals(sha256, python("import json,sys; print(json.load(sys.stdin)['banks']['sha256']['stub'])", json.out()));
        Path manifest = tmp.resolve("handoff.json");
        CliRun.Result run = CliRun.run("run", fx.uki().toString(), "--seed", "1", "--handoff-json", manifest.toString());
        assertEquals(0, run.exit(), run.err());
        String summary = python("import json,sys; m=json.load(sys.stdin); print(len(m['segments']), m['entry64'], m['memory_map'][0]['type'], "
                + "sum(s['size'] for s in m['segments']) > 40*1024*1024, 'RSP' in m['registers'])", Files.readString(manifest));
        String[] f = summary.split(" ");
        assertTrue(Integer.parseInt(f[0]) >= 2, summary);
        assertTrue(f[1].startsWith("0x"), summary);
        assertEquals("True", f[3], "the segments hold the decompressed kernel: " + summary);
        assertEquals("True", f[4], summary);
    }

    static String python(String program, String stdin) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", program).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out;
    }
}
