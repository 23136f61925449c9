package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.TrustStore;

/** edk2/OVMF variable stores (firmware volume, authenticated variables) and the keys in them. */
public class VariableStoreFuzzer {
    @FuzzTest(maxDuration = "10m")
    void variableStore(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> EdkVariableStore.parse(data));
        Fuzz.accepts(() -> TrustStore.builder().addVars(data, "fuzz").build());
    }
}
