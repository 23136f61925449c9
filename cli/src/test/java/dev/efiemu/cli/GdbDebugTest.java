package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 acceptance 1 and 2: Debian's gdb, in batch mode, debugs real payloads through
 * {@code efiemu debug}: the test UKI (registers, the system table in memory, monitor images,
 * break-service LoadImage with the decoded call, a breakpoint at the kernel EFI stub's entry,
 * stepi, detach and the run goes on to ExitBootServices) and a small test app (a write
 * watchpoint stops right after each write). Both processes are bounded by timeouts and killed on
 * expiry; the port is free afterwards.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GdbDebugTest {
    static final long WAIT_SECONDS = 120;
    static final Pattern WAITING = Pattern.compile("waiting for gdb on ([0-9.]+):(\\d+)");

    @TempDir
    Path tmp;

    record Session(String gdb, String out, String err, int exit, int port) {}

    static boolean haveGdb() {
        try {
            Process p = new ProcessBuilder("gdb", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Runs {@code efiemu debug ARGS --gdb 127.0.0.1:0} and gdb with {@code script} against it. */
    Session debug(List<String> efiemuArgs, String script) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath(), "dev.efiemu.cli.Main", "debug"));
        cmd.addAll(efiemuArgs);
        cmd.addAll(List.of("--gdb", "127.0.0.1:0"));
        Path out = tmp.resolve("efiemu.out");
        Process efiemu = new ProcessBuilder(cmd).redirectOutput(out.toFile()).start();
        Process gdb = null;
        try {
            // The port comes from the "waiting for gdb" line on stderr; keep draining stderr after it.
            BufferedReader err = new BufferedReader(new InputStreamReader(efiemu.getErrorStream(), StandardCharsets.UTF_8));
            CompletableFuture<Integer> port = new CompletableFuture<>();
            StringBuffer errText = new StringBuffer();
            Thread drain = new Thread(() -> {
                try {
                    String line;
                    while ((line = err.readLine()) != null) {
                        errText.append(line).append('\n');
                        Matcher m = WAITING.matcher(line);
                        if (m.find()) port.complete(Integer.parseInt(m.group(2)));
                    }
                } catch (IOException e) {
                    // process gone
                } finally {
                    port.complete(-1);
                }
            }, "efiemu-stderr");
            drain.setDaemon(true);
            drain.start();
            int p = port.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(p > 0, "efiemu did not start listening:\n" + errText);
            Path gdbScript = tmp.resolve("script.gdb");
            Files.writeString(gdbScript, "set pagination off\nset confirm off\nset architecture i386:x86-64\n"
                    + "target remote 127.0.0.1:" + p + "\n" + script);
            gdb = new ProcessBuilder("gdb", "-batch", "-nx", "-x", gdbScript.toString()).redirectErrorStream(true).start();
            CompletableFuture<String> gdbOut = readAll(gdb);
            if (!gdb.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) throw new AssertionError("gdb did not finish:\n" + gdbOut.getNow(""));
            String transcript = gdbOut.get(10, TimeUnit.SECONDS);
            if (!efiemu.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("efiemu did not end after gdb:\n" + transcript + "\n" + errText);
            }
            drain.join(5000);
            Session s = new Session(transcript, Files.readString(out), errText.toString(), efiemu.exitValue(), p);
            // Kept for reading (and for docs/debugging.md): target/gdb-transcripts/
            Path keep = Path.of("target", "gdb-transcripts");
            Files.createDirectories(keep);
            Files.writeString(keep.resolve(efiemuArgs.get(0).replaceAll(".*/", "") + ".txt"),
                    "$ efiemu debug " + String.join(" ", efiemuArgs) + "\n" + s.err() + "\n$ gdb -batch -nx -x script.gdb\n"
                            + Files.readString(gdbScript) + "\n--- gdb output ---\n" + transcript + "\n--- efiemu stdout ---\n" + s.out());
            return s;
        } finally {
            if (gdb != null) gdb.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            efiemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static CompletableFuture<String> readAll(Process p) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("");
            }
        }, "gdb-output");
        t.setDaemon(true);
        t.start();
        return f;
    }

    static void assertPortFree(int port) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    /** Python for gdb: a column (1 base, 3 entry) of the last image named IMAGE... in 'monitor images'. */
    static String imageColumn(String var, String image, int column) {
        return "python\nimport gdb, re\n"
                + "_rows = [l.split() for l in gdb.execute('monitor images', to_string=True).splitlines()]\n"
                + "_row = [r for r in _rows if len(r) == 4 and r[3].startswith('0x') and r[0].startswith('" + image + "')][-1]\n"
                + var + " = int(_row[" + column + "], 16)\n"
                + "end\n";
    }

    @Test
    void gdbDebugsTheTestUki() throws Exception {
        assertTrue(haveGdb(), "gdb is not installed: scripts/setup.sh installs it (apt-get install gdb)");
        Fixtures fx = Fixtures.cache().requireFetched();
        long linuxSize = -1;
        for (SectionHeader s : PeImage.parse(fx.uki()).sections()) {
            if (s.name().equals(".linux")) linuxSize = s.virtualSize();
        }
        assertTrue(linuxSize > 0, "the test UKI has a .linux section");
        String script = """
                info registers rip rcx rdx rsp
                echo === system table\\n
                x/s $rdx
                echo === images\\n
                monitor images
                """ + imageColumn("uki_entry", "uki", 3) + """
                python print("ENTRY-CHECK", "ok" if int(gdb.parse_and_eval("$pc")) == uki_entry else "bad")
                echo === break-service LoadImage\\n
                monitor break-service LoadImage
                continue
                monitor call
                echo === break-service StartImage\\n
                monitor delete-service LoadImage
                monitor break-service StartImage
                continue
                monitor images
                """ + imageColumn("kernel_entry", "uki.efi/child", 3) + """
                python gdb.execute("break *%#x" % kernel_entry)
                echo === continue to the kernel EFI stub's entry\\n
                continue
                python print("AT-KERNEL-ENTRY", "ok" if int(gdb.parse_and_eval("$pc")) == kernel_entry else "bad")
                x/s $rdx
                echo === stepi\\n
                stepi
                python print("STEPPED", "ok" if int(gdb.parse_and_eval("$pc")) != kernel_entry else "bad")
                info registers rip
                echo === services\\n
                monitor services
                detach
                """;
        Session s = debug(List.of(fx.uki().toString(), "--seed", "1"), script);
        String g = s.gdb();
        assertTrue(g.contains("rip            0x"), g);
        assertTrue(Pattern.compile("0x[0-9a-f]+:\\s+\"IBI SYST").matcher(g).find(), "system table signature:\n" + g);
        assertTrue(g.contains("ENTRY-CHECK ok"), "stopped at the UKI's entry:\n" + g);
        Matcher load = Pattern.compile("break-service BS\\.LoadImage\\(BootPolicy=FALSE, ParentImageHandle=0x[0-9a-f]+, "
                + "DevicePath=0x[0-9a-f]+ VenMedia\\(55c5d1f8-04cd-46b5-8a20-e56cbb3052d0\\), SourceBuffer=0x[0-9a-f]+, "
                + "SourceSize=0x[0-9a-f]+ \\((\\d+)\\), ImageHandle=0x[0-9a-f]+\\) from uki[^+]*\\+0x[0-9a-f]+").matcher(g);
        assertTrue(load.find(), "LoadImage decoded:\n" + g);
        assertEquals(linuxSize, Long.parseLong(load.group(1)), "SourceSize = the .linux section");
        assertTrue(g.contains("Program received signal SIGTRAP"), g);
        assertTrue(g.contains("\nBS.LoadImage(BootPolicy=FALSE"), "monitor call:\n" + g);
        assertTrue(g.contains("break-service BS.StartImage(ImageHandle=0x"), g);
        assertTrue(g.contains("Breakpoint 1, 0x"), g);
        assertTrue(g.contains("AT-KERNEL-ENTRY ok"), g);
        assertTrue(g.contains("STEPPED ok"), g);
        assertTrue(g.contains("BS.LoadImage") && g.contains("service calls"), g);
        assertTrue(g.contains("[Inferior 1 (Remote target) detached]"), g);
        assertTrue(s.out().contains("EXIT_BOOT_SERVICES"), "the run went on to ExitBootServices:\n" + s.out() + s.err());
        assertEquals(0, s.exit(), s.err());
        assertPortFree(s.port());
    }

    @Test
    void writeWatchpointStopsAtTheWritesOfATestApp() throws Exception {
        assertTrue(haveGdb(), "gdb is not installed: scripts/setup.sh installs it (apt-get install gdb)");
        Fixtures.cache().requireFetched();
        Path app = TestApps.build(Path.of("src/test/c/watchme.c"), "x86_64");
        long rva = -1, textStart = -1, textEnd = -1;
        for (SectionHeader s : PeImage.parse(app).sections()) {
            if (s.name().equals(".watch")) rva = s.virtualAddress();
            if (s.name().equals(".text")) {
                textStart = s.virtualAddress();
                textEnd = s.virtualAddress() + s.virtualSize();
            }
        }
        assertTrue(rva > 0, "the app has a .watch section");
        String script = imageColumn("base", "watchme", 1) + """
                python gdb.execute("watch *(unsigned long long *)%#x" % (base + """ + rva + """
                ))
                continue
                python print("STOP1 %#x" % (int(gdb.parse_and_eval("$pc")) - base))
                continue
                python print("STOP2 %#x" % (int(gdb.parse_and_eval("$pc")) - base))
                delete
                continue
                """;
        Session s = debug(List.of(app.toString()), script);
        String g = s.gdb();
        assertTrue(g.contains("Hardware watchpoint 1: *(unsigned long long *)0x"), g);
        assertTrue(g.contains("Old value = 0\nNew value = 4660"), "the store:\n" + g);
        assertTrue(g.contains("Old value = 4660\nNew value = 4661"), "the read-modify-write, once:\n" + g);
        Matcher m1 = Pattern.compile("STOP1 0x([0-9a-f]+)").matcher(g), m2 = Pattern.compile("STOP2 0x([0-9a-f]+)").matcher(g);
        assertTrue(m1.find() && m2.find(), g);
        long pc1 = Long.parseLong(m1.group(1), 16), pc2 = Long.parseLong(m2.group(1), 16);
        assertTrue(pc1 >= textStart && pc1 < textEnd && pc2 > pc1 && pc2 < textEnd, "stops in .text, in order: " + g);
        // x86 encodings: mov qword [rip+d], imm32 is 11 bytes, add qword [rip+d], imm8 is 8: the stops
        // are right after each write.
        assertEquals(8, pc2 - pc1, "one instruction apart:\n" + g);
        assertTrue(g.contains("exited normally"), "the app returned EFI_SUCCESS:\n" + g);
        assertTrue(s.out().contains("RETURNED"), s.out() + s.err());
        assertEquals(0, s.exit(), s.err());
        assertPortFree(s.port());
    }
}
