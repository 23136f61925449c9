package dev.efiemu.loader.auth;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Acceptance 1: the Authenticode digests of the real payloads equal `pesign --hash`. */
class PesignDigestTest {
    static List<Path> payloads() {
        var f = fx();
        return List.of(f.cloudKernel(), f.shim(), f.grub(), f.systemdStub(), f.uki(), f.signedUki());
    }

    @Test
    void digestsMatchPesign() {
        Tools.require("pesign", "pesign");
        StringBuilder table = new StringBuilder();
        for (Path p : payloads()) {
            PeImage pe = PeImage.parse(read(p), p.toString());
            for (String alg : List.of("SHA-256", "SHA-1")) {
                String ours = Bytes.hex(AuthenticodeDigest.digest(pe, alg));
                assertEquals(Tools.pesignHash(p, alg), ours, alg + " of " + p);
                table.append(String.format("%-8s %-26s %s%n", alg, p.getFileName(), ours));
            }
        }
        System.out.print("digests equal pesign --hash:\n" + table);
    }

    @Test
    void signedImagesCarryTheComputedDigest() {
        var f = fx();
        for (Path p : List.of(f.cloudKernel(), f.shim(), f.grub(), f.signedUki())) {
            Verdict v = Authenticode.verify(PeImage.parse(read(p), p.toString()), TrustStore.empty());
            assertFalse(v.signatures().isEmpty(), p + " is signed");
            for (Verdict.SignatureCheck c : v.signatures()) {
                assertTrue(c.digestMatches(), p + " signature " + c.index() + " digest");
                assertTrue(c.signatureValid(), p + " signature " + c.index() + " PKCS#7");
            }
        }
    }
}
