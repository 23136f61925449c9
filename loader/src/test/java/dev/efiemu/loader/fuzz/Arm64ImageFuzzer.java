package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.linux.Arm64ImageHeader;

/** The arm64 Image header. */
public class Arm64ImageFuzzer {
    @FuzzTest(maxDuration = "10m")
    void arm64Image(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> Arm64ImageHeader.parse(data));
    }
}
