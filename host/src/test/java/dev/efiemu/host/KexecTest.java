package dev.efiemu.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** kexec_load errors are explained, not shown as bare errnos. Never calls kexec_load. */
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
        assertTrue(Kexec.explain(99, "", false).contains("--kexec-dry-run"));
    }
}
