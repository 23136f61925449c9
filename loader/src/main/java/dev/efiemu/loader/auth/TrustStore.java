package dev.efiemu.loader.auth;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Secure Boot trust material: allowed (db, MOK, shim vendor) and forbidden (dbx) certificates
 * and image hashes, plus KEK/PK for display. UEFI spec §32.5 ("Image Verification"): an image
 * whose hash or any signer chain certificate is in dbx is rejected; it is accepted when its
 * hash is in db or a signature chains to a db certificate (a CA or the signer itself).
 */
public final class TrustStore {
    /** A certificate with where it came from, e.g. "OVMF_VARS_4M.ms.fd db". */
    public record Cert(X509Certificate cert, String source, dev.efiemu.loader.Guid owner) {
        /** A certificate given as PEM/DER: no signature-list owner. */
        public Cert(X509Certificate cert, String source) {
            this(cert, source, null);
        }

        public String subject() { return cert.getSubjectX500Principal().getName(); }
    }

    /** An image or certificate hash with its algorithm ("SHA-256", "SHA-1", or "X509-TBS-SHA-256"). */
    public record Hash(String algorithm, byte[] value, String source) {}

    private final List<Cert> allowedCerts, forbiddenCerts, kek, pk;
    private final List<Hash> allowedHashes, forbiddenHashes;

    private TrustStore(Builder b) {
        allowedCerts = List.copyOf(b.allowedCerts);
        forbiddenCerts = List.copyOf(b.forbiddenCerts);
        allowedHashes = List.copyOf(b.allowedHashes);
        forbiddenHashes = List.copyOf(b.forbiddenHashes);
        kek = List.copyOf(b.kek);
        pk = List.copyOf(b.pk);
    }

    public static Builder builder() { return new Builder(); }

    public static TrustStore empty() { return new Builder().build(); }

    public List<Cert> allowedCerts() { return allowedCerts; }
    public List<Cert> forbiddenCerts() { return forbiddenCerts; }
    public List<Hash> allowedHashes() { return allowedHashes; }
    public List<Hash> forbiddenHashes() { return forbiddenHashes; }
    public List<Cert> kek() { return kek; }
    public List<Cert> pk() { return pk; }

    public boolean isEmpty() {
        return allowedCerts.isEmpty() && allowedHashes.isEmpty() && forbiddenCerts.isEmpty() && forbiddenHashes.isEmpty();
    }

    /** The first hash entry with this algorithm and value. */
    static Hash find(List<Hash> list, String algorithm, byte[] value) {
        for (Hash h : list) if (h.algorithm().equals(algorithm) && Arrays.equals(h.value(), value)) return h;
        return null;
    }

    /** The forbidden entry matching this certificate (whole certificate or its TBS SHA-256), or null. */
    String forbidden(X509Certificate c) {
        for (Cert f : forbiddenCerts) if (f.cert().equals(c)) return f.source();
        try {
            Hash h = find(forbiddenHashes, "X509-TBS-SHA-256", MessageDigest.getInstance("SHA-256").digest(c.getTBSCertificate()));
            return h == null ? null : h.source();
        } catch (CertificateException | NoSuchAlgorithmException e) {
            return null;
        }
    }

    public static final class Builder {
        private final List<Cert> allowedCerts = new ArrayList<>(), forbiddenCerts = new ArrayList<>(), kek = new ArrayList<>(), pk = new ArrayList<>();
        private final List<Hash> allowedHashes = new ArrayList<>(), forbiddenHashes = new ArrayList<>();

        /** Adds db material from a PEM/DER certificate, EFI_SIGNATURE_LIST or OVMF VARS file (whose dbx is added too). */
        public Builder addDbFile(Path p) {
            return add(p, true);
        }

        /** Adds dbx material from a PEM/DER certificate, EFI_SIGNATURE_LIST or OVMF VARS file (its dbx only). */
        public Builder addDbxFile(Path p) {
            return add(p, false);
        }

        /** Adds db, dbx, KEK and PK from an OVMF VARS file. */
        public Builder addVarsFile(Path p) {
            byte[] b = PeImage.readFile(p, 64L << 20);
            try {
                addVars(b, p.getFileName().toString());
            } catch (FormatException e) {
                throw e.withSource(p.toString());
            }
            return this;
        }

        /** Adds the vendor certificate and dbx built into a shim binary's .vendor_cert section. */
        public Builder addShimVendorCert(Path shim) {
            try {
                ShimVendorCert.parse(PeImage.parse(shim)).addTo(this, shim.getFileName().toString());
            } catch (FormatException e) {
                throw e.getMessage().startsWith(shim.toString()) ? e : e.withSource(shim.toString());
            }
            return this;
        }

        private Builder add(Path p, boolean allow) {
            byte[] b = PeImage.readFile(p, 64L << 20);
            String name = p.getFileName().toString();
            try {
                if (EdkVariableStore.looksLikeFirmwareVolume(b)) {
                    if (allow) addVars(b, name);
                    else EdkVariableStore.parse(b).dbx().ifPresent(d -> addDbx(d, name + " dbx"));
                } else if (allow) {
                    addDb(b, name);
                } else {
                    addDbx(b, name);
                }
            } catch (FormatException e) {
                throw e.withSource(p.toString());
            }
            return this;
        }

        public Builder addVars(byte[] fv, String name) {
            EdkVariableStore vs = EdkVariableStore.parse(fv);
            vs.db().ifPresent(d -> addDb(d, name + " db"));
            vs.dbx().ifPresent(d -> addDbx(d, name + " dbx"));
            vs.kek().ifPresent(d -> addEsl(d, name + " KEK", kek, new ArrayList<>()));
            vs.pk().ifPresent(d -> addEsl(d, name + " PK", pk, new ArrayList<>()));
            return this;
        }

        /** db material: certificate(s) in PEM or DER, or EFI_SIGNATURE_LISTs. */
        public Builder addDb(byte[] b, String source) {
            addAny(b, source, allowedCerts, allowedHashes);
            return this;
        }

        /** dbx material: certificate(s) in PEM or DER, or EFI_SIGNATURE_LISTs. */
        public Builder addDbx(byte[] b, String source) {
            addAny(b, source, forbiddenCerts, forbiddenHashes);
            return this;
        }

        public Builder addCert(X509Certificate c, String source) {
            allowedCerts.add(new Cert(c, source));
            return this;
        }

        private void addAny(byte[] b, String source, List<Cert> certs, List<Hash> hashes) {
            if (SignatureList.looksLikeSignatureList(b)) {
                addEsl(b, source, certs, hashes);
            } else if (isPem(b)) {
                for (byte[] der : pemBlocks(b)) certs.add(new Cert(certificate(der), source));
            } else if (b.length > 0 && b[0] == 0x30) {
                certs.add(new Cert(certificate(b), source));
            } else {
                throw new FormatException("not a PEM/DER certificate, EFI_SIGNATURE_LIST or OVMF VARS file");
            }
        }

        private void addEsl(byte[] b, String source, List<Cert> certs, List<Hash> hashes) {
            for (SignatureList s : SignatureList.parse(b)) {
                if (s.type().equals(SignatureList.CERT_X509)) certs.add(new Cert(certificate(s.data()), source, s.owner()));
                else if (s.type().equals(SignatureList.CERT_SHA256) && s.data().length == 32) hashes.add(new Hash("SHA-256", s.data(), source));
                else if (s.type().equals(SignatureList.CERT_SHA1) && s.data().length == 20) hashes.add(new Hash("SHA-1", s.data(), source));
                else if (s.type().equals(SignatureList.CERT_X509_SHA256) && s.data().length >= 32) {
                    hashes.add(new Hash("X509-TBS-SHA-256", Arrays.copyOf(s.data(), 32), source));
                }
            }
        }

        public TrustStore build() { return new TrustStore(this); }
    }

    static boolean isPem(byte[] b) {
        return new String(b, 0, Math.min(b.length, 4096), StandardCharsets.ISO_8859_1).contains("-----BEGIN ");
    }

    private static final Pattern PEM = Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END CERTIFICATE-----");

    static List<byte[]> pemBlocks(byte[] b) {
        List<byte[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(new String(b, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            try {
                out.add(Base64.getMimeDecoder().decode(m.group(1)));
            } catch (IllegalArgumentException e) {
                throw new FormatException("bad base64 in PEM certificate");
            }
        }
        if (out.isEmpty()) throw new FormatException("PEM file holds no CERTIFICATE block");
        return Collections.unmodifiableList(out);
    }

    public static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new FormatException("not a valid X.509 certificate: " + e.getMessage());
        }
    }
}
