package dev.efiemu.loader.auth;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Authenticode verification of a PE image ("Windows Authenticode Portable Executable Signature
 * Format"): each PKCS_SIGNED_DATA WIN_CERTIFICATE holds a PKCS#7 SignedData whose content is an
 * SpcIndirectDataContent (OID 1.3.6.1.4.1.311.2.1.4) carrying the image digest. A signature is
 * intact when that digest equals the computed one and the signer's signature over the signed
 * attributes (whose messageDigest covers the SpcIndirectDataContent) verifies. Trust follows
 * Secure Boot (UEFI §32.5): chain to any allowed certificate (CA or the signer itself), no time
 * or EKU checks, dbx hashes and certificates forbid.
 */
public final class Authenticode {
    public static final String SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4";
    private static final int MAX_CHAIN = 8;

    private Authenticode() {}

    public static Verdict verify(PeImage pe, TrustStore store) {
        List<String> notes = new ArrayList<>();
        AuthenticodeDigest.Result d256 = AuthenticodeDigest.compute(pe, "SHA-256");
        byte[] sha1 = AuthenticodeDigest.digest(pe, "SHA-1");
        notes.addAll(d256.notes());
        String h256 = Bytes.hex(d256.digest()), h1 = Bytes.hex(sha1);

        List<Verdict.SignatureCheck> checks = new ArrayList<>();
        String tableProblem = null;
        try {
            for (WinCertificate wc : WinCertificate.parseTable(pe)) checks.add(check(pe, wc, store));
        } catch (FormatException e) {
            tableProblem = "malformed attribute certificate table: " + e.getMessage();
        }

        TrustStore.Hash bad = firstNonNull(TrustStore.find(store.forbiddenHashes(), "SHA-256", d256.digest()),
                TrustStore.find(store.forbiddenHashes(), "SHA-1", sha1));
        if (bad != null) return new Verdict(Verdict.Status.REVOKED, "image hash is forbidden by " + bad.source(), h256, h1, checks, notes);
        for (Verdict.SignatureCheck c : checks) {
            if (c.revokedBy() != null) {
                return new Verdict(Verdict.Status.REVOKED, "signature " + (c.index() + 1) + ": " + c.problem(), h256, h1, checks, notes);
            }
        }
        TrustStore.Hash good = firstNonNull(TrustStore.find(store.allowedHashes(), "SHA-256", d256.digest()),
                TrustStore.find(store.allowedHashes(), "SHA-1", sha1));
        if (good != null) return new Verdict(Verdict.Status.TRUSTED, "image hash is allowed by " + good.source(), h256, h1, checks, notes);
        for (Verdict.SignatureCheck c : checks) {
            if (c.trusted()) {
                return new Verdict(Verdict.Status.TRUSTED, "signature " + (c.index() + 1) + " trusted by " + c.trustedBy(), h256, h1, checks, notes);
            }
        }
        if (tableProblem != null) return new Verdict(Verdict.Status.INVALID, tableProblem, h256, h1, checks, notes);
        if (checks.isEmpty()) {
            return new Verdict(Verdict.Status.UNSIGNED, "image has no signature" + (store.allowedHashes().isEmpty() ? "" : " and its hash is not in db"),
                    h256, h1, checks, notes);
        }
        for (Verdict.SignatureCheck c : checks) {
            if (c.digestMatches() && c.signatureValid()) {
                return new Verdict(Verdict.Status.UNTRUSTED, "signature " + (c.index() + 1) + ": " + c.problem(), h256, h1, checks, notes);
            }
        }
        Verdict.SignatureCheck first = checks.get(0);
        return new Verdict(Verdict.Status.INVALID, "signature " + (first.index() + 1) + ": " + first.problem(), h256, h1, checks, notes);
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... xs) {
        for (T x : xs) if (x != null) return x;
        return null;
    }

    /** Everything about one WIN_CERTIFICATE; never throws for bad signature data. */
    static Verdict.SignatureCheck check(PeImage pe, WinCertificate wc, TrustStore store) {
        Draft d = new Draft(wc);
        try {
            if (wc.type() != WinCertificate.TYPE_PKCS_SIGNED_DATA) {
                return d.fail("certificate type " + wc.typeName() + " is not PKCS_SIGNED_DATA");
            }
            ContentInfo ci;
            try (ASN1InputStream in = new ASN1InputStream(wc.content())) {
                ASN1Primitive obj = in.readObject();
                if (obj == null) return d.fail("empty PKCS#7 data");
                ci = ContentInfo.getInstance(obj);
            }
            if (!CMSObjectIdentifiers.signedData.equals(ci.getContentType())) {
                return d.fail("PKCS#7 content type " + ci.getContentType() + " is not signedData");
            }
            SignedData sd = SignedData.getInstance(ci.getContent());
            ASN1ObjectIdentifier inner = sd.getEncapContentInfo().getContentType();
            if (!SPC_INDIRECT_DATA.equals(inner.getId())) return d.fail("signed content type " + inner + " is not SpcIndirectDataContent");
            ASN1Sequence spc = ASN1Sequence.getInstance(sd.getEncapContentInfo().getContent());
            DigestInfo di = DigestInfo.getInstance(spc.getObjectAt(1));
            String alg = digestName(di.getAlgorithmId().getAlgorithm());
            d.digestAlgorithm = alg;
            d.signedDigest = Bytes.hex(di.getDigest());
            if (alg == null) return d.fail("unsupported digest algorithm " + di.getAlgorithmId().getAlgorithm());
            byte[] actual = AuthenticodeDigest.digest(pe, alg);
            d.digestMatches = MessageDigest.isEqual(actual, di.getDigest());

            CMSSignedData cms = new CMSSignedData(ci);
            JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
            List<X509Certificate> pool = new ArrayList<>();
            for (X509CertificateHolder h : cms.getCertificates().getMatches(null)) {
                X509Certificate c = conv.getCertificate(h);
                pool.add(c);
                d.certificates.add(c.getSubjectX500Principal().getName());
            }
            Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
            if (signers.size() != 1) return d.fail("SignedData has " + signers.size() + " signers; Authenticode requires exactly one");
            SignerInformation si = signers.iterator().next();
            Collection<X509CertificateHolder> mine = cms.getCertificates().getMatches(si.getSID());
            if (mine.isEmpty()) return d.fail("signer certificate is not in the SignedData");
            X509Certificate signer = conv.getCertificate(mine.iterator().next());
            d.signerSubject = signer.getSubjectX500Principal().getName();
            d.signerIssuer = signer.getIssuerX500Principal().getName();
            d.signerSerial = signer.getSerialNumber().toString(16);
            if (si.getSignedAttributes() == null) return d.fail("signer has no signed attributes");
            try {
                d.signatureValid = si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer));
            } catch (CMSSignerDigestMismatchException e) {
                return d.fail("signed attributes' messageDigest does not match the SpcIndirectDataContent");
            }
            if (!d.signatureValid) return d.fail("signature over the signed attributes does not verify with the signer certificate " + d.signerSubject);
            if (!d.digestMatches) {
                return d.fail(String.format("image digest does not match the signed digest (signed %s %s, image %s)", alg, d.signedDigest, Bytes.hex(actual)));
            }
            // dbx: any certificate on the chain, or carried in the SignedData, forbids the signature.
            List<X509Certificate> chain = new ArrayList<>();
            TrustStore.Cert anchor = chainToAnchor(signer, pool, store.allowedCerts(), chain, 0);
            List<X509Certificate> suspects = new ArrayList<>(chain);
            suspects.addAll(pool);
            if (anchor != null) suspects.add(anchor.cert());
            for (X509Certificate c : suspects) {
                String by = store.forbidden(c);
                if (by != null) {
                    d.revokedBy = by;
                    return d.fail("certificate " + c.getSubjectX500Principal().getName() + " is forbidden by " + by);
                }
            }
            for (X509Certificate c : chain) d.chain.add(c.getSubjectX500Principal().getName());
            if (anchor == null) {
                if (store.allowedCerts().isEmpty()) return d.fail("no trusted certificates (db) were given");
                return d.fail("signer chain " + String.join(" <- ", d.chain) + " does not lead to a trusted certificate");
            }
            if (!anchor.cert().equals(chain.get(chain.size() - 1))) d.chain.add(anchor.subject());
            d.trustedBy = anchor.subject() + " (" + anchor.source() + ")";
            d.anchor = anchor;
            return d.done();
        } catch (IOException | CMSException | CertificateException | OperatorCreationException | RuntimeException e) {
            return d.fail("malformed PKCS#7 signature: " + oneLine(e));
        }
    }

    /**
     * Depth-first search from {@code c} towards an allowed certificate: c itself, or issued by
     * one (issuer name matches and the signature verifies), possibly via intermediates from the
     * SignedData. {@code chain} receives the path from the signer.
     */
    private static TrustStore.Cert chainToAnchor(X509Certificate c, List<X509Certificate> pool, List<TrustStore.Cert> anchors,
                                                 List<X509Certificate> chain, int depth) {
        chain.add(c);
        for (TrustStore.Cert a : anchors) if (a.cert().equals(c)) return a;
        for (TrustStore.Cert a : anchors) if (issuedBy(c, a.cert())) return a;
        if (depth < MAX_CHAIN) {
            for (X509Certificate issuer : pool) {
                if (!chain.contains(issuer) && issuedBy(c, issuer)) {
                    TrustStore.Cert found = chainToAnchor(issuer, pool, anchors, chain, depth + 1);
                    if (found != null) return found;
                }
            }
        }
        if (depth > 0) chain.remove(chain.size() - 1);
        return null;
    }

    static boolean issuedBy(X509Certificate c, X509Certificate issuer) {
        if (!c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) return false;
        try {
            c.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static String digestName(ASN1ObjectIdentifier oid) {
        return switch (oid.getId()) {
            case "2.16.840.1.101.3.4.2.1" -> "SHA-256";
            case "1.3.14.3.2.26" -> "SHA-1";
            case "2.16.840.1.101.3.4.2.2" -> "SHA-384";
            case "2.16.840.1.101.3.4.2.3" -> "SHA-512";
            default -> null;
        };
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return m.replace('\n', ' ');
    }

    /** Mutable state of one check while it runs. */
    private static final class Draft {
        final WinCertificate wc;
        String digestAlgorithm, signedDigest, signerSubject, signerIssuer, signerSerial, trustedBy, revokedBy;
        TrustStore.Cert anchor;
        boolean digestMatches, signatureValid;
        final List<String> certificates = new ArrayList<>(), chain = new ArrayList<>();

        Draft(WinCertificate wc) {
            this.wc = wc;
        }

        Verdict.SignatureCheck fail(String problem) {
            return build(problem);
        }

        Verdict.SignatureCheck done() {
            return build(null);
        }

        private Verdict.SignatureCheck build(String problem) {
            return new Verdict.SignatureCheck(wc.index(), wc.fileOffset(), wc.typeName(), digestAlgorithm, signedDigest, digestMatches,
                    signatureValid, signerSubject, signerIssuer, signerSerial, List.copyOf(certificates), List.copyOf(chain), trustedBy,
                    revokedBy, problem, anchor);
        }
    }
}
