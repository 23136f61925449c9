package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.AuthenticodeDigest;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.WinCertificate;
import dev.efiemu.loader.pe.PeImage;

/** Authenticode: the digest, the certificate table (WIN_CERTIFICATE) and the PKCS#7 SignedData (Bouncy Castle) of a signed PE. */
public class AuthenticodeFuzzer {
    static final TrustStore STORE = TrustStore.empty();

    @FuzzTest(maxDuration = "10m")
    void authenticode(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        PeImage[] pe = {null};
        if (!Fuzz.accepts(() -> pe[0] = PeImage.parse(data, "fuzz"))) return;
        PeImage img = pe[0];
        Fuzz.accepts(() -> AuthenticodeDigest.digest(img, "SHA-256"));
        Fuzz.accepts(() -> WinCertificate.parseTable(img));
        Fuzz.accepts(() -> Authenticode.verify(img, STORE));
    }
}
