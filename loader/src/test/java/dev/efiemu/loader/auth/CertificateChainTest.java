package dev.efiemu.loader.auth;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signer chain through an intermediate carried in the SignedData (UEFI spec §32.5: db may hold a
 * CA above the signer): root CA -> intermediate CA -> signer made with openssl, a small EFI app
 * signed by sbsign with the intermediate added (--addcert). Whether the chain leads to the db
 * certificate is checked against openssl verify -partial_chain with the certificates sbattach
 * detaches from the image (sbverify --cert is no judge here: it accepts this image with any CA
 * certificate, an unrelated one included); the chain and the signature numbering are exact.
 */
class CertificateChainTest {
    @TempDir
    static Path dir;
    static Path root, inter, signer, signed, unsigned;

    static void run(String... cmd) {
        Tools.Result r = Tools.run(cmd);
        assertEquals(0, r.exitCode(), String.join(" ", cmd) + ":\n" + r.output());
    }

    static Path cert(String name, String subject, Path issuerCert, boolean ca) throws Exception {
        Path key = dir.resolve(name + ".key"), csr = dir.resolve(name + ".csr"), crt = dir.resolve(name + ".pem");
        Path ext = Files.writeString(dir.resolve(name + ".ext"), ca ? "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n"
                : "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=codeSigning\n");
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-subj", subject, "-out", csr.toString());
        if (issuerCert == null) {
            run("openssl", "x509", "-req", "-in", csr.toString(), "-signkey", key.toString(), "-days", "3650", "-sha256",
                    "-extfile", ext.toString(), "-out", crt.toString());
        } else {
            String issuerKey = issuerCert.toString().replace(".pem", ".key");
            run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", issuerCert.toString(), "-CAkey", issuerKey, "-CAcreateserial",
                    "-days", "3650", "-sha256", "-extfile", ext.toString(), "-out", crt.toString());
        }
        return crt;
    }

    @BeforeAll
    static void makeChainAndSign() throws Exception {
        Tools.require("openssl", "openssl");
        Tools.require("sbsign", "sbsigntool");
        root = cert("root", "/CN=efiemu test root CA", null, true);
        inter = cert("inter", "/CN=efiemu test intermediate CA", root, true);
        signer = cert("signer", "/CN=efiemu test signer", inter, false);
        unsigned = dir.resolve("app.efi");
        Files.copy(TestApps.build(Path.of("../fixtures/src/test/c/return42.c"), "x86_64"), unsigned);
        signed = dir.resolve("app-signed.efi");
        run("sbsign", "--key", dir.resolve("signer.key").toString(), "--cert", signer.toString(), "--addcert", inter.toString(),
                "--output", signed.toString(), unsigned.toString());
    }

    static Verdict verify(Path db) {
        TrustStore.Builder b = TrustStore.builder();
        if (db != null) b.addDbFile(db);
        return Authenticode.verify(PeImage.parse(signed), b.build());
    }

    static void agreesWithOpenssl(Path db, Verdict v) {
        Path p7 = dir.resolve("sig.p7"), certs = dir.resolve("certs.pem");
        if (!Files.exists(certs)) {
            run("sbattach", "--detach", p7.toString(), signed.toString());
            run("openssl", "pkcs7", "-inform", "DER", "-in", p7.toString(), "-print_certs", "-out", certs.toString());
        }
        Tools.Result r = Tools.run("openssl", "verify", "-partial_chain", "-CAfile", db.toString(), "-untrusted", certs.toString(), signer.toString());
        boolean ok = r.exitCode() == 0;
        assertEquals(ok, v.trusted(), "openssl verify with " + db.getFileName() + " says " + r.output().strip() + "; ours: " + v.status() + " " + v.reason());
    }

    @Test
    void throughTheIntermediateToTheRoot() {
        Verdict v = verify(root);
        assertEquals(Verdict.Status.TRUSTED, v.status(), v.reason());
        assertEquals("signature 1 trusted by CN=efiemu test root CA (root.pem)", v.reason());
        Verdict.SignatureCheck c = v.signatures().get(0);
        assertEquals(List.of("CN=efiemu test signer", "CN=efiemu test intermediate CA", "CN=efiemu test root CA"), c.chain());
        assertTrue(c.certificates().containsAll(List.of("CN=efiemu test signer", "CN=efiemu test intermediate CA")), c.certificates().toString());
        agreesWithOpenssl(root, v);
    }

    @Test
    void theIntermediateOrTheSignerItselfInDb() {
        Verdict v = verify(inter);
        assertEquals(Verdict.Status.TRUSTED, v.status(), v.reason());
        assertEquals(List.of("CN=efiemu test signer", "CN=efiemu test intermediate CA"), v.signatures().get(0).chain());
        agreesWithOpenssl(inter, v);
        Verdict w = verify(signer);
        assertEquals(Verdict.Status.TRUSTED, w.status(), w.reason());
        assertEquals(List.of("CN=efiemu test signer"), w.signatures().get(0).chain(), "the anchor is the signer: no second entry");
        agreesWithOpenssl(signer, w);
    }

    @Test
    void anUnrelatedCaOrNoneIsNotTrusted() throws Exception {
        Path other = cert("other", "/CN=efiemu unrelated CA", null, true);
        Verdict v = verify(other);
        assertEquals(Verdict.Status.UNTRUSTED, v.status(), v.reason());
        // the search backs out of the intermediate, which led nowhere either
        assertEquals("signature 1: signer chain CN=efiemu test signer does not lead to a trusted certificate", v.reason());
        agreesWithOpenssl(other, v);
        Verdict none = verify(null);
        assertEquals(Verdict.Status.UNTRUSTED, none.status());
        assertEquals("signature 1: no trusted certificates (db) were given", none.reason());
        // a certificate with the root's name but another key: the issuer name matches, the signature does not
        Path fake = cert("fake", "/CN=efiemu test root CA", null, true);
        Verdict f = verify(fake);
        assertEquals(Verdict.Status.UNTRUSTED, f.status(), f.reason());
        agreesWithOpenssl(fake, f);
    }

    @Test
    void theIntermediateInDbxRevokes() {
        TrustStore ts = TrustStore.builder().addDbFile(root).addDbxFile(inter).build();
        Verdict v = Authenticode.verify(PeImage.parse(signed), ts);
        assertEquals(Verdict.Status.REVOKED, v.status(), v.reason());
        assertEquals("signature 1: certificate CN=efiemu test intermediate CA is forbidden by inter.pem", v.reason());
        assertEquals("inter.pem", v.signatures().get(0).revokedBy());
        // the image's own hash in dbx comes first
        TrustStore byHash = TrustStore.builder().addDbFile(root)
                .addDbx(SignatureListTest.esl(SignatureList.CERT_SHA256, AuthenticodeDigest.digest(PeImage.parse(signed), "SHA-256")), "h").build();
        assertEquals("image hash is forbidden by h", Authenticode.verify(PeImage.parse(signed), byHash).reason());
        TrustStore bySha1 = TrustStore.builder().addDbFile(root)
                .addDbx(SignatureListTest.esl(SignatureList.CERT_SHA1, AuthenticodeDigest.digest(PeImage.parse(signed), "SHA-1")), "h1").build();
        assertEquals("image hash is forbidden by h1", Authenticode.verify(PeImage.parse(signed), bySha1).reason());
        TrustStore allowSha1 = TrustStore.builder()
                .addDb(SignatureListTest.esl(SignatureList.CERT_SHA1, AuthenticodeDigest.digest(PeImage.parse(unsigned), "SHA-1")), "a1").build();
        Verdict u = Authenticode.verify(PeImage.parse(unsigned), allowSha1);
        assertEquals(Verdict.Status.TRUSTED, u.status());
        assertEquals("image hash is allowed by a1", u.reason());
        Verdict unsignedNotInDb = Authenticode.verify(PeImage.parse(unsigned), TrustStore.builder()
                .addDb(SignatureListTest.esl(SignatureList.CERT_SHA256, new byte[32]), "zeros").build());
        assertEquals("image has no signature and its hash is not in db", unsignedNotInDb.reason());
        assertEquals("image has no signature", Authenticode.verify(PeImage.parse(unsigned), TrustStore.empty()).reason());
    }
}
