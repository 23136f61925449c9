package dev.efiemu.cli;

import dev.efiemu.session.VariableFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 4 acceptance 6 and the variable stores. */
class SecureBootTest {
    @TempDir
    Path tmp;

    static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    @Test
    void snakeoilSignedUkiRuns() {
        CliRun.Result r = CliRun.run("run", fx().signedUki().toString(), "--secure-boot", "--db", fx().snakeoilCert().toString(), "--seed", "1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("EXIT_BOOT_SERVICES"), r.out());
    }

    @Test
    void snakeoilSignedUkiRunsWithOvmfKeys() {
        CliRun.Result r = CliRun.run("run", fx().signedUki().toString(), "--secure-boot", "--vars",
                fx().root().resolve("ovmf/OVMF_VARS_4M.snakeoil.fd").toString(), "--seed", "1");
        assertEquals(0, r.exit(), r.out() + r.err());
        // The keys came from the store alone (no --db): the payload was verified and ran to the end,
        // and the kernel read SecureBoot=1, SetupMode=0 from the variables.
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), r.out());
        assertTrue(r.out().contains("EFI stub: UEFI Secure Boot is enabled."), r.out());
        assertTrue(!r.err().contains("Access Denied"), r.err());
    }

    @Test
    void unsignedUkiIsRefusedBeforeItRuns() {
        CliRun.Result r = CliRun.run("run", fx().uki().toString(), "--secure-boot", "--db", fx().snakeoilCert().toString(), "--trace");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("Access Denied: uki.efi is not signed by a key in db"), r.err());
        assertTrue(!r.err().contains("trace: #1 "), "no guest instruction ran, no service was called");
    }

    @Test
    void signedUkiIsRefusedWithTheWrongDb() {
        CliRun.Result r = CliRun.run("run", fx().signedUki().toString(), "--secure-boot", "--vars", fx().ovmfVarsMs().toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("Access Denied"), r.err());
    }

    @Test
    void secureBootNeedsKeys() {
        CliRun.Result r = CliRun.run("run", fx().uki().toString(), "--secure-boot");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--secure-boot needs keys"), r.err());
    }

    @Test
    void ownVariableStoreIsReadAndWrittenBack() throws Exception {
        Path store = tmp.resolve("vars.txt");
        String nv = "12345678-1234-1234-1234-123456789abc\tEfiemuKept\t7\t01020304";
        Files.writeString(store, VariableFile.HEADER + "\n" + nv + "\n");
        CliRun.Result r = CliRun.run("run", fx().uki().toString(), "--vars", store.toString(), "--seed", "1");
        assertEquals(0, r.exit(), r.err());
        String text = Files.readString(store);
        assertTrue(text.startsWith(VariableFile.HEADER), text);
        assertTrue(text.contains(nv), "the non-volatile variable survives the round trip:\n" + text);
        assertTrue(!text.contains("StubInfo"), "volatile variables the stub wrote are not persisted:\n" + text);
        Files.writeString(store, "garbage line\n");
        CliRun.Result bad = CliRun.run("run", fx().uki().toString(), "--vars", store.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("--vars " + store + " line 1"), bad.err());
        assertEquals("garbage line\n", Files.readString(store), "a bad store is never overwritten");
    }
}
