package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine auto|unicorn|kvm} where KVM cannot run (issue 13, "Bad input"): {@code kvm} is one
 * line with the errno's meaning and exit 1, nothing written; {@code auto} runs on Unicorn and the
 * summary says why in one line; the debugger refuses {@code kvm}. The KVM device is named
 * explicitly (a path that does not exist), so this holds on hosts with /dev/kvm too. The KVM runs
 * themselves are tested in the kexec lab's guest (KexecLabIT), where /dev/kvm works.
 */
class EngineCliTest {
    @TempDir
    Path tmp;

    <T> T withoutKvm(Supplier<T> body) {
        String old = System.getProperty("efiemu.kvm.device");
        System.setProperty("efiemu.kvm.device", tmp.resolve("no-kvm").toString());
        try {
            return body.get();
        } finally {
            if (old == null) System.clearProperty("efiemu.kvm.device");
            else System.setProperty("efiemu.kvm.device", old);
        }
    }

    String noKvm() {
        return "kvm: cannot open " + tmp.resolve("no-kvm") + ": ENOENT (No such file or directory): this host has no KVM (load kvm-intel"
                + " or kvm-amd; inside a VM, nested virtualization must be on)";
    }

    @Test
    void engineKvmWithoutKvmIsOneLineAndNothingIsWritten() {
        Path app = RunCliTest.coreApp("memory");
        Path out = tmp.resolve("out.elf");
        CliRun.Result r = withoutKvm(() -> CliRun.run("run", app.toString(), "--engine", "kvm", "--handoff", out.toString()));
        assertEquals(1, r.exit(), r.out() + r.err());
        assertEquals("efiemu: " + noKvm(), r.err().strip());
        assertFalse(Files.exists(out));
        assertFalse(r.out().contains("summary"), r.out());
    }

    @Test
    void autoFallsBackToUnicornAndSaysWhyInOneLine() {
        Path app = RunCliTest.coreApp("memory");
        CliRun.Result r = withoutKvm(() -> CliRun.run("run", app.toString(), "--engine", "auto", "--seed", "1"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("\nengine:         unicorn "), r.out());
        assertTrue(r.out().contains("\nengine note:    --engine auto did not use " + noKvm() + "\n"), r.out());
        CliRun.Result u = withoutKvm(() -> CliRun.run("run", app.toString(), "--engine", "unicorn", "--seed", "1"));
        assertEquals(0, u.exit(), u.out() + u.err());
        assertFalse(u.out().contains("engine note:"), "asking for Unicorn is no fallback: " + u.out());
    }

    @Test
    void theEngineCommandSaysWhichEngineAndWhy() {
        assertEquals("unicorn", System.getenv("EFIEMU_ENGINE"), "the build pins the tests' default engine (pom.xml)");
        CliRun.Result pinned = withoutKvm(() -> CliRun.run("engine"));
        assertTrue(pinned.out().startsWith("unicorn ") && !pinned.out().contains("engine note"), "EFIEMU_ENGINE is the default: " + pinned.out());
        CliRun.Result auto = withoutKvm(() -> CliRun.run("engine", "--engine", "auto"));
        assertEquals(0, auto.exit(), auto.err());
        assertTrue(auto.out().startsWith("unicorn "), auto.out());
        assertTrue(auto.out().contains("\nengine note: --engine auto did not use " + noKvm() + "\n"), auto.out());
        CliRun.Result kvm = withoutKvm(() -> CliRun.run("engine", "--engine", "kvm"));
        assertEquals(1, kvm.exit());
        assertEquals("efiemu: " + noKvm(), kvm.err().strip());
    }

    @Test
    void theDebuggerRefusesKvmAndAnUnknownEngineIsNamed() {
        Path app = RunCliTest.coreApp("memory");
        CliRun.Result d = CliRun.run("debug", app.toString(), "--engine", "kvm", "--gdb", "127.0.0.1:0");
        assertEquals(1, d.exit(), d.out() + d.err());
        assertEquals("efiemu: --engine kvm: the debugger runs on Unicorn only (breakpoints, single-step and watchpoints are engine hooks"
                + " the KVM engine does not have); use --engine unicorn", d.err().strip());
        CliRun.Result q = CliRun.run("run", app.toString(), "--engine", "qemu");
        assertEquals(1, q.exit());
        assertEquals("efiemu: unknown CPU engine 'qemu' (known: kvm, unicorn, auto)", q.err().strip());
    }
}
