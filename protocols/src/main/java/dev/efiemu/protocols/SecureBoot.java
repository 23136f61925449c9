package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.SignatureList;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.Verdict;
import dev.efiemu.loader.pe.PeImage;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.List;

/**
 * Secure Boot as firmware enforces it (UEFI spec §32): SecureBoot = 1 and SetupMode = 0, the key
 * databases as variables, and the Security/Security2 architectural protocols that LoadImage
 * consults ({@link Security2Arch} verifies Authenticode with the loader's verifier against db/dbx,
 * {@link SecurityArch} allows).
 */
public final class SecureBoot {
    static final int NV_BS_RT = VariableStore.NON_VOLATILE | VariableStore.BOOTSERVICE_ACCESS | VariableStore.RUNTIME_ACCESS;
    static final int NV_BS_RT_AUTH = NV_BS_RT | VariableStore.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
    static final int BS_RT = VariableStore.BOOTSERVICE_ACCESS | VariableStore.RUNTIME_ACCESS;
    static final Guid EFIEMU_OWNER = Guid.parse("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5");

    private final TrustStore store;

    private SecureBoot(Firmware fw, TrustStore store, EdkVariableStore vars) {
        this.store = store;
        VariableStore v = fw.variables();
        v.put("SecureBoot", Guids.GLOBAL_VARIABLE, BS_RT, new byte[] {1});
        v.put("SetupMode", Guids.GLOBAL_VARIABLE, BS_RT, new byte[] {0});
        if (vars == null) {
            byte[] db = signatureList(store);
            if (db.length > 0) v.put("db", Guids.IMAGE_SECURITY_DATABASE, NV_BS_RT_AUTH, db);
        }
        new Security2Arch(fw, image -> {
            Verdict verdict = check(image, "image");
            if (verdict != null && verdict.trusted()) verified(verdict);
            return verdict;
        });
        new SecurityArch(fw);
    }

    /** Turns Secure Boot on with {@code store}'s keys; {@code vars} (an OVMF store) has already provided the key variables. */
    public static SecureBoot enable(Firmware fw, TrustStore store, EdkVariableStore vars) {
        return new SecureBoot(fw, store, vars);
    }

    /** Imports every variable of an edk2/OVMF VARS file (the file itself is never written). */
    public static void importVariables(Firmware fw, EdkVariableStore vars) {
        for (EdkVariableStore.Variable var : vars.variables()) {
            fw.variables().put(var.name(), var.vendor(), (int) var.attributes(), var.data());
        }
    }

    /** The verdict on the outer payload, before a single guest instruction runs (as firmware's boot manager would). */
    public Verdict check(byte[] file, String name) {
        try {
            return Authenticode.verify(PeImage.parse(file, name), store);
        } catch (FormatException e) {
            return null;
        }
    }

    private java.util.function.BiConsumer<byte[], Guid> authority = (cert, owner) -> { };

    /**
     * Told, for every image Secure Boot lets run because a db certificate vouches for it, that
     * certificate (DER) and its db owner GUID: what the firmware measures as EV_EFI_VARIABLE_AUTHORITY.
     */
    public void onAuthority(java.util.function.BiConsumer<byte[], Guid> listener) {
        this.authority = listener;
    }

    private void verified(Verdict v) {
        TrustStore.Cert anchor = v.trustedAnchor();
        if (anchor == null) return; // allowed by its hash: no certificate to name
        try {
            authority.accept(anchor.cert().getEncoded(), anchor.owner() != null ? anchor.owner() : EFIEMU_OWNER);
        } catch (CertificateEncodingException e) {
            // a certificate that parsed but does not encode: nothing to measure
        }
    }

    /** One line like the firmware's refusal, or null when the image may run (the db certificate that vouched is reported to {@link #onAuthority}). */
    public String refusal(byte[] file, String name) {
        Verdict v = check(file, name);
        if (v == null) return "Access Denied: " + name + " is not a valid PE image";
        if (v.trusted()) {
            verified(v);
            return null;
        }
        return "Access Denied: " + name + " is not signed by a key in db (" + v.status() + ": " + v.reason() + ")";
    }

    /** db as EFI_SIGNATURE_LISTs of X.509 certificates (UEFI spec §32.4.1), one list per certificate. */
    static byte[] signatureList(TrustStore store) {
        List<SignatureList> certs = new ArrayList<>();
        for (TrustStore.Cert c : store.allowedCerts()) {
            try {
                certs.add(new SignatureList(SignatureList.CERT_X509, EFIEMU_OWNER, c.cert().getEncoded()));
            } catch (CertificateEncodingException e) {
                // not encodable: left out of db
            }
        }
        return SignatureList.encode(certs);
    }
}
