package dev.efiemu.loader.auth;

import java.util.List;

/**
 * The outcome of verifying one image against a {@link TrustStore}: the overall status with a
 * one-line reason, the image digests, and one {@link SignatureCheck} per WIN_CERTIFICATE.
 */
public record Verdict(Status status, String reason, String sha256, String sha1, List<SignatureCheck> signatures, List<String> notes) {
    public enum Status {
        /** A signature chains to an allowed certificate, or the image hash is allowed. */
        TRUSTED,
        /** At least one signature is intact, but none chains to an allowed certificate. */
        UNTRUSTED,
        /** No signature is intact: digest mismatch, bad signature or malformed data. */
        INVALID,
        /** The image hash or a signer certificate is forbidden (dbx). */
        REVOKED,
        /** No attribute certificate table, and the hash is not allowed. */
        UNSIGNED
    }

    public boolean signed() {
        return !signatures.isEmpty();
    }

    public boolean trusted() {
        return status == Status.TRUSTED;
    }

    /** The db certificate that made the image trusted (the first trusted signature's anchor), or null (trusted by hash, or not trusted). */
    public TrustStore.Cert trustedAnchor() {
        if (!trusted()) return null;
        for (SignatureCheck c : signatures) if (c.trusted() && c.anchor() != null) return c.anchor();
        return null;
    }

    /**
     * One signature.
     *
     * @param index           position in the attribute certificate table
     * @param fileOffset      file offset of its WIN_CERTIFICATE
     * @param digestAlgorithm the SpcIndirectDataContent digest algorithm (e.g. SHA-256)
     * @param signedDigest    the digest the signature covers (hex), null if unreadable
     * @param digestMatches   whether it equals the image's Authenticode digest
     * @param signatureValid  whether the PKCS#7 signature (messageDigest + signature value) verifies
     * @param signerSubject   signer certificate subject, null if not found
     * @param chain           subjects from the signer up to (and including) the trust anchor, or as far as found
     * @param trustedBy       the anchor ("subject (source)") that makes it trusted, or null
     * @param revokedBy       the dbx entry that forbids it, or null
     * @param problem         why this signature does not make the image trusted, or null
     * @param anchor          the allowed (db) certificate it chains to, or null
     */
    public record SignatureCheck(int index, long fileOffset, String certificateType, String digestAlgorithm, String signedDigest,
                                 boolean digestMatches, boolean signatureValid, String signerSubject, String signerIssuer,
                                 String signerSerial, List<String> certificates, List<String> chain, String trustedBy,
                                 String revokedBy, String problem, TrustStore.Cert anchor) {
        public boolean trusted() {
            return problem == null && trustedBy != null;
        }
    }
}
