package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.auth.SignatureList;
import dev.efiemu.loader.auth.TrustStore;

/** EFI_SIGNATURE_LISTs, and the X.509 certificates and hashes in them as a db and a dbx. */
public class SignatureListFuzzer {
    @FuzzTest(maxDuration = "10m")
    void signatureList(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> SignatureList.parse(data));
        Fuzz.accepts(() -> TrustStore.builder().addDb(data, "fuzz").addDbx(data, "fuzz").build());
    }
}
