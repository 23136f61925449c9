package dev.efiemu.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kexec_load errors are explained, not shown as bare errnos; refusals come from the host's state. Never calls kexec_load. */
class KexecTest {
    @Test
    void lockdownIsExplained() {
        String m = Kexec.explain(1, "none [integrity] confidentiality", false);
        assertTrue(m.contains("locked down") && m.contains("kexec_file_load") && m.contains("Secure Boot"), m);
    }

    @Test
    void otherErrnos() {
        assertTrue(Kexec.explain(1, "[none] integrity", true).contains("kexec_load_disabled"));
        assertTrue(Kexec.explain(1, "", false).contains("CAP_SYS_BOOT"));
        assertTrue(Kexec.explain(16, "", false).contains("kexec -u"));
        assertTrue(Kexec.explain(22, "", false).contains("segment"));
        assertTrue(Kexec.explain(99, "", false).contains("--dry-run"));
    }

    /** The build sets EFIEMU_FORBID_KEXEC for every test JVM: load and exec refuse before reaching the kernel. */
    @Test
    void testJvmsCannotKexec() {
        assertTrue(System.getenv(Kexec.FORBID) != null, "the build must set " + Kexec.FORBID + " for tests");
        var e = assertThrows(IllegalStateException.class, () -> Kexec.load(0x100000, List.of(new Kexec.Segment(0x100000, new byte[4096]))));
        assertTrue(e.getMessage().contains(Kexec.FORBID), e.getMessage());
        assertThrows(IllegalStateException.class, Kexec::exec);
    }

    private static Path host(Path root, String capEff, String disabled, String lockdown, String loaded) throws Exception {
        Files.createDirectories(root.resolve("proc/self"));
        Files.createDirectories(root.resolve("proc/sys/kernel"));
        Files.createDirectories(root.resolve("sys/kernel/security"));
        Files.writeString(root.resolve("proc/self/status"), "Name:\tjava\nCapInh:\t0000000000000000\nCapEff:\t" + capEff + "\n");
        Files.writeString(root.resolve("proc/sys/kernel/kexec_load_disabled"), disabled + "\n");
        if (lockdown != null) Files.writeString(root.resolve("sys/kernel/security/lockdown"), lockdown + "\n");
        Files.writeString(root.resolve("sys/kernel/kexec_loaded"), loaded + "\n");
        return root;
    }

    @Test
    void hostStateRefusals(@TempDir Path tmp) throws Exception {
        HostState ok = HostState.read(host(tmp.resolve("ok"), "000001ffffffffff", "0", "[none] integrity confidentiality", "0"));
        assertTrue(ok.capSysBoot());
        assertNull(ok.refusal());
        HostState user = HostState.read(host(tmp.resolve("user"), "0000000000000000", "0", null, "0"));
        assertFalse(user.capSysBoot());
        assertTrue(user.refusal().contains("CAP_SYS_BOOT"), user.refusal());
        HostState noBoot = HostState.read(host(tmp.resolve("nocap"), "000001ffffbfffff", "0", null, "0")); // every cap but bit 22
        assertTrue(noBoot.refusal().contains("CAP_SYS_BOOT"), noBoot.refusal());
        HostState disabled = HostState.read(host(tmp.resolve("disabled"), "000001ffffffffff", "1", "[none]", "1"));
        assertTrue(disabled.refusal().contains("kexec_load_disabled"), disabled.refusal());
        assertTrue(disabled.loaded());
        HostState locked = HostState.read(host(tmp.resolve("locked"), "000001ffffffffff", "0", "none [integrity] confidentiality", "0"));
        assertTrue(locked.refusal().contains("locked down (none [integrity] confidentiality)") && locked.refusal().contains("kexec_file_load"),
                locked.refusal());
        assertEquals("", HostState.read(tmp.resolve("nothing")).lockdown());
    }
}
