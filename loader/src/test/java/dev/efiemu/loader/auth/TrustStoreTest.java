package dev.efiemu.loader.auth;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.RealFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each TrustStore input adds, from the real files: an OVMF VARS file as db (db and its dbx),
 * as dbx (its dbx only) and whole (db, dbx, KEK, PK); shim's .vendor_cert; EFI_CERT_X509_SHA256
 * entries by size; the verdict's anchor; and the one-line errors.
 */
class TrustStoreTest {
    @TempDir
    Path tmp;

    @Test
    void ovmfVarsAsDbAsDbxAndWhole() {
        Fixtures f = fx();
        TrustStore whole = TrustStore.builder().addVarsFile(f.ovmfVarsMs()).build();
        assertFalse(whole.allowedCerts().isEmpty());
        assertFalse(whole.forbiddenHashes().isEmpty(), "the Microsoft VARS carry a dbx");
        assertFalse(whole.kek().isEmpty(), "KEK");
        assertFalse(whole.pk().isEmpty(), "PK");
        assertFalse(whole.isEmpty());
        String name = f.ovmfVarsMs().getFileName().toString();
        assertTrue(whole.allowedCerts().stream().allMatch(c -> c.source().equals(name + " db")));
        assertTrue(whole.kek().stream().allMatch(c -> c.source().equals(name + " KEK")));
        assertTrue(whole.allowedCerts().stream().allMatch(c -> c.owner() != null), "ESL owners kept");

        TrustStore asDb = TrustStore.builder().addDbFile(f.ovmfVarsMs()).build();
        assertEquals(whole.allowedCerts().size(), asDb.allowedCerts().size());
        assertEquals(whole.forbiddenHashes().size(), asDb.forbiddenHashes().size(), "a VARS file as db brings its dbx too");
        assertEquals(whole.kek().size(), asDb.kek().size(), "as db, the whole VARS file is read");

        TrustStore asDbx = TrustStore.builder().addDbxFile(f.ovmfVarsMs()).build();
        assertTrue(asDbx.allowedCerts().isEmpty(), "as dbx: its db is not allowed");
        assertEquals(whole.forbiddenHashes().size(), asDbx.forbiddenHashes().size());
        assertTrue(asDbx.forbiddenHashes().stream().allMatch(h -> h.source().equals(name + " dbx")));
        assertFalse(asDbx.isEmpty());
    }

    @Test
    void emptiness() throws Exception {
        assertTrue(TrustStore.empty().isEmpty());
        byte[] h = new byte[32];
        assertFalse(TrustStore.builder().addDb(SignatureListTest.esl(SignatureList.CERT_SHA256, h), "a").build().isEmpty());
        assertFalse(TrustStore.builder().addDbx(SignatureListTest.esl(SignatureList.CERT_SHA256, h), "x").build().isEmpty());
        TrustStore cert = TrustStore.builder().addCert(RealFixtures.debianCa(), "ca").build();
        assertFalse(cert.isEmpty());
        assertEquals("ca", cert.allowedCerts().get(0).source());
        assertNull(cert.allowedCerts().get(0).owner());
        TrustStore forbiddenCert = TrustStore.builder().addDbx(RealFixtures.debianCa().getEncoded(), "x").build();
        assertFalse(forbiddenCert.isEmpty());
        assertEquals(1, forbiddenCert.forbiddenCerts().size());
    }

    @Test
    void x509Sha256EntriesBySize() {
        TrustStore ok = TrustStore.builder().addDbx(SignatureListTest.esl(SignatureList.CERT_X509_SHA256, new byte[32]), "x").build();
        assertEquals(1, ok.forbiddenHashes().size(), "a TBS hash without its revocation time");
        assertEquals("X509-TBS-SHA-256", ok.forbiddenHashes().get(0).algorithm());
        assertEquals(0, TrustStore.builder().addDbx(SignatureListTest.esl(SignatureList.CERT_X509_SHA256, new byte[31]), "x").build()
                .forbiddenHashes().size(), "shorter than a SHA-256: ignored");
        assertEquals(0, TrustStore.builder().addDbx(SignatureListTest.esl(SignatureList.CERT_SHA256, new byte[31]), "x").build()
                .forbiddenHashes().size());
        assertEquals(0, TrustStore.builder().addDbx(SignatureListTest.esl(SignatureList.CERT_SHA1, new byte[21]), "x").build()
                .forbiddenHashes().size());
    }

    @Test
    void shimVendorCertAndAnchor() {
        Fixtures f = fx();
        ShimVendorCert v = ShimVendorCert.parse(PeImage.parse(read(f.shim())));
        assertTrue(v.authorized().length > 0);
        TrustStore.Builder b = TrustStore.builder();
        v.addTo(b, "shim");
        TrustStore ts = b.build();
        assertEquals(1, ts.allowedCerts().size());
        assertEquals("shim .vendor_cert", ts.allowedCerts().get(0).source());
        assertEquals(v.deauthorized().length > 0, !ts.forbiddenHashes().isEmpty() || !ts.forbiddenCerts().isEmpty());
        // an empty vendor_cert adds nothing; a deauthorized list alone adds only dbx
        TrustStore.Builder e = TrustStore.builder();
        new ShimVendorCert(new byte[0], new byte[0]).addTo(e, "s");
        assertTrue(e.build().isEmpty());
        TrustStore.Builder d = TrustStore.builder();
        new ShimVendorCert(new byte[0], SignatureListTest.esl(SignatureList.CERT_SHA256, new byte[32])).addTo(d, "s");
        TrustStore dt = d.build();
        assertTrue(dt.allowedCerts().isEmpty());
        assertEquals("s .vendor_cert (deauthorized)", dt.forbiddenHashes().get(0).source());

        Verdict kernel = Authenticode.verify(PeImage.parse(read(f.cloudKernel())), ts);
        assertTrue(kernel.trusted());
        assertTrue(kernel.signed());
        assertSame(ts.allowedCerts().get(0), kernel.trustedAnchor());
        Verdict unsigned = Authenticode.verify(PeImage.parse(read(f.uki())), ts);
        assertFalse(unsigned.signed());
        assertNull(unsigned.trustedAnchor());
        TrustStore byHash = TrustStore.builder().addDb(SignatureListTest.esl(SignatureList.CERT_SHA256,
                AuthenticodeDigest.digest(PeImage.parse(read(f.uki())), "SHA-256")), "h").build();
        Verdict hashed = Authenticode.verify(PeImage.parse(read(f.uki())), byHash);
        assertTrue(hashed.trusted());
        assertNull(hashed.trustedAnchor(), "trusted by hash: no certificate");
        assertNull(Authenticode.verify(PeImage.parse(read(f.cloudKernel())), TrustStore.empty()).trustedAnchor(), "signed, not trusted");
    }

    @Test
    void oneLineErrorsNameTheFile() throws Exception {
        Fixtures f = fx();
        String notShim = assertThrows(FormatException.class, () -> TrustStore.builder().addShimVendorCert(f.cloudKernel())).getMessage();
        assertTrue(notShim.startsWith(f.cloudKernel().toString()) && notShim.contains("no .vendor_cert section"), notShim);
        Path junk = Files.writeString(tmp.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
        String m = assertThrows(FormatException.class, () -> TrustStore.builder().addDbFile(junk)).getMessage();
        assertTrue(m.startsWith(junk.toString()) && !m.contains("\n"), m);
        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
        String t = assertThrows(FormatException.class, () -> TrustStore.builder().addDbxFile(text)).getMessage();
        assertTrue(t.startsWith(text + ": not a PEM/DER certificate, EFI_SIGNATURE_LIST or OVMF VARS file"), t);
        Path noBlock = Files.writeString(tmp.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(assertThrows(FormatException.class, () -> TrustStore.builder().addDbFile(noBlock)).getMessage()
                .contains("PEM file holds no CERTIFICATE block"));
        Path vars = Files.write(tmp.resolve("vars.fd"), java.util.Arrays.copyOf(read(f.ovmfVarsMs()), 0x40));
        String fv = assertThrows(FormatException.class, () -> TrustStore.builder().addVarsFile(vars)).getMessage();
        assertTrue(fv.startsWith(vars.toString()), fv);
        assertTrue(assertThrows(FormatException.class, () -> TrustStore.certificate(new byte[] {0x30, 0})).getMessage()
                .startsWith("not a valid X.509 certificate"));
        // two certificates in one PEM file
        String pem = Files.readString(f.snakeoilCert());
        Path two = Files.writeString(tmp.resolve("two.pem"), pem + pem);
        assertEquals(2, TrustStore.builder().addDbFile(two).build().allowedCerts().size());
        List<TrustStore.Cert> der = TrustStore.builder().addDbFile(Files.write(tmp.resolve("ca.der"), RealFixtures.debianCa().getEncoded()))
                .build().allowedCerts();
        assertEquals("CN=Debian Secure Boot CA", der.get(0).subject());
    }
}
