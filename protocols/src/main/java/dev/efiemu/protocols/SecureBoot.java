package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.core.trap.Call;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.Verdict;
import dev.efiemu.loader.pe.PeImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.cert.CertificateEncodingException;
import java.util.List;

/**
 * Secure Boot as firmware enforces it (UEFI spec §32): SecureBoot = 1 and SetupMode = 0, the key
 * databases as variables, and the Security/Security2 architectural protocols that LoadImage
 * consults (PI spec vol. 2 §12.8-§12.9). Security2.FileAuthentication verifies Authenticode with
 * the loader's verifier against db/dbx; Security.FileAuthenticationState has nothing to check
 * without a file buffer and allows.
 */
public final class SecureBoot {
    static final int NV_BS_RT = VariableStore.NON_VOLATILE | VariableStore.BOOTSERVICE_ACCESS | VariableStore.RUNTIME_ACCESS;
    static final int NV_BS_RT_AUTH = NV_BS_RT | VariableStore.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
    static final int BS_RT = VariableStore.BOOTSERVICE_ACCESS | VariableStore.RUNTIME_ACCESS;
    static final Guid X509 = Guid.parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
    static final Guid EFIEMU_OWNER = Guid.parse("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5");

    private final TrustStore store;

    private SecureBoot(Firmware fw, TrustStore store, EdkVariableStore vars) {
        this.store = store;
        Machine m = fw.machine();
        VariableStore v = fw.variables();
        v.put("SecureBoot", Guids.GLOBAL_VARIABLE, BS_RT, new byte[] {1});
        v.put("SetupMode", Guids.GLOBAL_VARIABLE, BS_RT, new byte[] {0});
        if (vars == null) {
            byte[] db = signatureList(store);
            if (db.length > 0) v.put("db", Guids.IMAGE_SECURITY_DATABASE, NV_BS_RT_AUTH, db);
        }
        long sec2 = m.newInterface("Security2Arch", List.of(new Machine.FunctionSpec("FileAuthentication", 5, this::fileAuthentication)), 0);
        m.installProtocol(null, Guids.SECURITY2_ARCH, sec2);
        long sec = m.newInterface("SecurityArch", List.of(new Machine.FunctionSpec("FileAuthenticationState", 3, c -> Status.SUCCESS)), 0);
        m.installProtocol(null, Guids.SECURITY_ARCH, sec);
    }

    /** Turns Secure Boot on with {@code store}'s keys; {@code vars} (an OVMF store) has already provided the key variables. */
    public static SecureBoot enable(Firmware fw, TrustStore store, EdkVariableStore vars) {
        return new SecureBoot(fw, store, vars);
    }

    /** Imports every variable of an edk2/OVMF VARS file (the file itself is never written). */
    public static void importVariables(Firmware fw, EdkVariableStore vars) {
        for (EdkVariableStore.Variable var : vars.variables()) {
            fw.variables().put(var.name(), Guid.parse(var.vendor().toString()), (int) var.attributes(), var.data());
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

    /** One line like the firmware's refusal, or null when the image may run. */
    public String refusal(byte[] file, String name) {
        Verdict v = check(file, name);
        if (v == null) return "Access Denied: " + name + " is not a valid PE image";
        if (v.trusted()) return null;
        return "Access Denied: " + name + " is not signed by a key in db (" + v.status() + ": " + v.reason() + ")";
    }

    /** Security2.FileAuthentication(This, DevicePath, FileBuffer, FileSize, BootPolicy). */
    long fileAuthentication(Call c) {
        long buffer = c.arg(2), size = c.arg(3);
        if (buffer == 0 || size == 0 || Long.compareUnsigned(size, 1L << 30) > 0) return Status.ACCESS_DENIED;
        Verdict v = check(c.memory().read(buffer, (int) size), "image");
        c.note(v == null ? "not a PE image" : v.status() + (v.reason() == null ? "" : ": " + v.reason()));
        return v != null && v.trusted() ? Status.SUCCESS : Status.ACCESS_DENIED;
    }

    /** db as EFI_SIGNATURE_LISTs of X.509 certificates (UEFI spec §32.4.1). */
    static byte[] signatureList(TrustStore store) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (TrustStore.Cert c : store.allowedCerts()) {
            byte[] der;
            try {
                der = c.cert().getEncoded();
            } catch (CertificateEncodingException e) {
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(28 + 16 + der.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put(X509.toBytes()).putInt(28 + 16 + der.length).putInt(0).putInt(16 + der.length);
            b.put(EFIEMU_OWNER.toBytes()).put(der);
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }

}
