package dev.efiemu.loader.auth;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.loader.pe.DataDirectory;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.RealFixtures;
import dev.efiemu.loader.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 2: verdicts on the real payloads, and agreement with `sbverify --cert` where it is
 * installed (sbverify takes one certificate; an image counts as accepted if any db cert works).
 */
class SbverifyAgreementTest {
    @TempDir
    Path tmp;

    record Case(String name, Path file, TrustStore store, Verdict.Status expected, String reason) {}

    private final List<String> table = new ArrayList<>();

    private Verdict check(Case c) throws Exception {
        Verdict v = Authenticode.verify(PeImage.parse(read(c.file()), c.file().toString()), c.store());
        assertEquals(c.expected(), v.status(), c.name() + ": " + v.reason());
        assertTrue(v.reason().contains(c.reason()), c.name() + ": reason was \"" + v.reason() + "\"");
        assertFalse(v.reason().contains("\n"));
        String sb;
        Tools.require("sbverify", "sbsigntool");
        {
            boolean ok = false;
            for (Path pem : RealFixtures.dbPems(c.store(), tmp)) ok |= Tools.sbverifyOk(pem, c.file());
            if (c.store().allowedCerts().isEmpty()) ok = Tools.sbverifyOk(RealFixtures.writePem(RealFixtures.debianCa(), tmp.resolve("none.pem")), c.file());
            assertEquals(v.trusted(), ok, c.name() + ": sbverify disagrees (ours: " + v.status() + " " + v.reason() + ")");
            sb = ok ? "OK" : "fail";
            if (c.reason().contains("image digest does not match")) {
                String out = Tools.run("sbverify", "--list", c.file().toString()).output()
                        + Tools.run("sbverify", "--cert", RealFixtures.dbPems(c.store(), tmp).get(0).toString(), c.file().toString()).output();
                assertTrue(out.contains("fails hash check"), c.name() + ": sbverify should fail the hash check: " + out);
                sb = "hash";
            }
        }
        table.add(String.format("%-34s %-9s sbverify=%-4s %s", c.name(), v.status(), sb, v.reason()));
        return v;
    }

    private void print() {
        System.out.println("verdicts:");
        table.forEach(System.out::println);
    }

    private Path copy(Path src, String name) throws Exception {
        return Files.copy(src, tmp.resolve(name));
    }

    @Test
    void realPayloads() throws Exception {
        Fixtures f = fx();
        TrustStore debian = TrustStore.builder().addShimVendorCert(f.shim()).build();
        TrustStore ms = TrustStore.builder().addVarsFile(f.ovmfVarsMs()).build();
        TrustStore snake = TrustStore.builder().addDbFile(f.snakeoilCert()).build();
        assertEquals("CN=Debian Secure Boot CA", RealFixtures.debianCa().getSubjectX500Principal().getName());
        assertTrue(ms.allowedCerts().stream().anyMatch(c -> c.subject().contains("Microsoft Corporation UEFI CA 2011")));

        check(new Case("kernel vs Debian CA (shim)", f.cloudKernel(), debian, Verdict.Status.TRUSTED, "Debian Secure Boot CA"));
        check(new Case("shim vs OVMF ms db", f.shim(), ms, Verdict.Status.TRUSTED, "Microsoft Corporation UEFI CA 2011"));
        check(new Case("grub vs Debian CA (shim)", f.grub(), debian, Verdict.Status.TRUSTED, "Debian Secure Boot CA"));
        check(new Case("signed UKI vs snakeoil", f.signedUki(), snake, Verdict.Status.TRUSTED, "SnakeOil"));
        check(new Case("unsigned UKI vs snakeoil", f.uki(), snake, Verdict.Status.UNSIGNED, "no signature"));
        check(new Case("kernel vs snakeoil", f.cloudKernel(), snake, Verdict.Status.UNTRUSTED, "does not lead to a trusted certificate"));
        check(new Case("grub vs OVMF ms db", f.grub(), ms, Verdict.Status.UNTRUSTED, "does not lead to a trusted certificate"));
        check(new Case("signed UKI vs OVMF ms db", f.signedUki(), ms, Verdict.Status.UNTRUSTED, "does not lead to a trusted certificate"));
        print();
    }

    @Test
    void tamperedCopies() throws Exception {
        Fixtures f = fx();
        TrustStore snake = TrustStore.builder().addDbFile(f.snakeoilCert()).build();
        PeImage pe = PeImage.parse(read(f.signedUki()));
        long text = pe.section(".text").orElseThrow().pointerToRawData() + 0x100;
        long table = pe.sectionTableOffset() + 36; // Characteristics of section 0
        DataDirectory cert = pe.securityDirectory();
        long sig = cert.address() + cert.size() - 16; // inside the RSA signature value at the end of SignerInfo

        Path a = copy(f.signedUki(), "text-flip.efi");
        flip(a, text);
        check(new Case("signed UKI, byte flipped in .text", a, snake, Verdict.Status.INVALID, "image digest does not match"));
        Path b = copy(f.signedUki(), "table-flip.efi");
        flip(b, table);
        check(new Case("signed UKI, flipped in section table", b, snake, Verdict.Status.INVALID, "image digest does not match"));
        Path c = copy(f.signedUki(), "sig-flip.efi");
        flip(c, sig);
        check(new Case("signed UKI, flipped in signature", c, snake, Verdict.Status.INVALID, "does not verify"));
        Path d = copy(f.signedUki(), "appended.efi");
        Files.write(d, "appended".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        Verdict vd = check(new Case("signed UKI, data appended", d, snake, Verdict.Status.INVALID, "image digest does not match"));
        assertTrue(vd.notes().stream().anyMatch(n -> n.contains("does not end the file")));
        Path k = copy(f.cloudKernel(), "kernel-flip.efi");
        flip(k, PeImage.parse(read(f.cloudKernel())).section(".text").orElseThrow().pointerToRawData() + 0x1000);
        check(new Case("kernel, byte flipped in .text", k, TrustStore.builder().addShimVendorCert(f.shim()).build(),
                Verdict.Status.INVALID, "image digest does not match"));
        print();
    }

    @Test
    void dbxRevokes() throws Exception {
        Fixtures f = fx();
        PeImage kernel = PeImage.parse(read(f.cloudKernel()));
        byte[] hash = AuthenticodeDigest.digest(kernel, "SHA-256");
        byte[] esl = SignatureListTest.esl(SignatureList.CERT_SHA256, hash);
        TrustStore byHash = TrustStore.builder().addShimVendorCert(f.shim()).addDbx(esl, "test dbx").build();
        Verdict v = Authenticode.verify(kernel, byHash);
        assertEquals(Verdict.Status.REVOKED, v.status());
        assertEquals("image hash is forbidden by test dbx", v.reason());

        byte[] ca = RealFixtures.debianCa().getEncoded();
        TrustStore byCert = TrustStore.builder().addShimVendorCert(f.shim()).addDbx(ca, "Debian CA in dbx").build();
        Verdict w = Authenticode.verify(kernel, byCert);
        assertEquals(Verdict.Status.REVOKED, w.status());
        assertTrue(w.reason().contains("CN=Debian Secure Boot CA is forbidden by Debian CA in dbx"), w.reason());

        // The hash in db allows an unsigned image.
        PeImage uki = PeImage.parse(read(f.uki()));
        TrustStore allow = TrustStore.builder().addDb(SignatureListTest.esl(SignatureList.CERT_SHA256, AuthenticodeDigest.digest(uki, "SHA-256")), "db hash").build();
        assertEquals(Verdict.Status.TRUSTED, Authenticode.verify(uki, allow).status());
    }

    /**
     * dbx by certificate: an EFI_CERT_X509_SHA256 entry (UEFI spec §32.4.1: the SHA-256 of the
     * certificate's TBSCertificate, then an EFI_TIME of revocation) forbids every signature whose
     * chain holds that certificate. The TBSCertificate is cut out by openssl asn1parse, not by us.
     */
    @Test
    void dbxByCertificateTbsHashRevokes() throws Exception {
        Fixtures f = fx();
        PeImage kernel = PeImage.parse(read(f.cloudKernel()));
        TrustStore debian = TrustStore.builder().addShimVendorCert(f.shim()).build();
        assertEquals(Verdict.Status.TRUSTED, Authenticode.verify(kernel, debian).status(), "trusted without the dbx entry");

        byte[] tbsHash = tbsSha256(RealFixtures.debianCa(), "debian-ca");
        byte[] entry = java.util.Arrays.copyOf(tbsHash, 48); // + EFI_TIME TimeOfRevocation (zero: always)
        TrustStore byTbs = TrustStore.builder().addShimVendorCert(f.shim())
                .addDbx(SignatureListTest.esl(SignatureList.CERT_X509_SHA256, entry), "Debian CA TBS in dbx").build();
        Verdict v = Authenticode.verify(kernel, byTbs);
        assertEquals(Verdict.Status.REVOKED, v.status(), v.reason());
        assertTrue(v.reason().contains("CN=Debian Secure Boot CA is forbidden by Debian CA TBS in dbx"), v.reason());

        // Not the hash of the whole certificate, and not another certificate's TBS hash.
        byte[] whole = java.security.MessageDigest.getInstance("SHA-256").digest(RealFixtures.debianCa().getEncoded());
        byte[] other = tbsSha256(TrustStore.certificate(TrustStore.pemBlocks(Files.readAllBytes(f.snakeoilCert())).get(0)), "snakeoil");
        for (byte[] h : List.of(whole, other)) {
            TrustStore notIt = TrustStore.builder().addShimVendorCert(f.shim())
                    .addDbx(SignatureListTest.esl(SignatureList.CERT_X509_SHA256, java.util.Arrays.copyOf(h, 48)), "other dbx").build();
            Verdict w = Authenticode.verify(kernel, notIt);
            assertEquals(Verdict.Status.TRUSTED, w.status(), w.reason());
        }
    }

    /** SHA-256 of the TBSCertificate as openssl cuts it out of the certificate (asn1parse -strparse 4). */
    private byte[] tbsSha256(java.security.cert.X509Certificate c, String name) throws Exception {
        Tools.require("openssl", "openssl");
        Path pem = RealFixtures.writePem(c, tmp.resolve(name + ".pem")), tbs = tmp.resolve(name + ".tbs");
        Tools.Result r = Tools.run("openssl", "asn1parse", "-in", pem.toString(), "-strparse", "4", "-noout", "-out", tbs.toString());
        assertEquals(0, r.exitCode(), r.output());
        byte[] der = Files.readAllBytes(tbs);
        assertEquals(0x30, der[0] & 0xff, "TBSCertificate is a SEQUENCE");
        return java.security.MessageDigest.getInstance("SHA-256").digest(der);
    }

    @Test
    void shimCarriesTwoSignatures() {
        Fixtures f = fx();
        List<WinCertificate> certs = WinCertificate.parseTable(PeImage.parse(read(f.shim())));
        assertEquals(2, certs.size());
        assertEquals(0, certs.get(1).fileOffset() % 8);
        Verdict v = Authenticode.verify(PeImage.parse(read(f.shim())), TrustStore.builder().addVarsFile(f.ovmfVarsMs()).build());
        assertTrue(v.signatures().get(0).trusted());
        assertTrue(v.signatures().get(1).signerSubject().contains("2023"), v.signatures().get(1).signerSubject());
    }

    @Test
    void ovmfVarsStores() {
        Fixtures f = fx();
        EdkVariableStore ms = EdkVariableStore.parse(read(f.ovmfVarsMs()));
        assertTrue(ms.db().isPresent() && ms.kek().isPresent() && ms.pk().isPresent());
        TrustStore t = TrustStore.builder().addVarsFile(f.ovmfVarsMs()).build();
        assertFalse(t.kek().isEmpty());
        assertEquals(1, t.pk().size());
        EdkVariableStore plain = EdkVariableStore.parse(read(f.ovmfVars()));
        assertTrue(plain.db().isEmpty(), "the non-ms VARS has no db");
    }

    static void flip(Path p, long offset) throws Exception {
        byte[] b = Files.readAllBytes(p);
        b[(int) offset] ^= 0x01;
        Files.write(p, b);
    }
}
