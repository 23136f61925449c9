package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.disk.DiskLayout;
import dev.efiemu.loader.disk.DiskReader;

/** ISO 9660 volume descriptors and the El Torito boot catalogue. The input is the whole disk image, scanned as firmware would. */
public class ElToritoFuzzer {
    @FuzzTest(maxDuration = "10m")
    void elTorito(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> DiskLayout.scan(DiskReader.of(data)));
    }
}
