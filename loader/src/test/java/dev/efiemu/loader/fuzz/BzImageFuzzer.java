package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.linux.BzImageHeader;

/** The x86 bzImage setup header (boot protocol fields, sizes, offsets). */
public class BzImageFuzzer {
    @FuzzTest(maxDuration = "10m")
    void bzImage(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> BzImageHeader.parse(data));
    }
}
