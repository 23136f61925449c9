package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.disk.DiskLayout;
import dev.efiemu.loader.disk.DiskReader;

/** The GUID partition table behind a protective MBR (header, CRCs, entries). The input is the whole disk image, scanned as firmware would. */
public class GptFuzzer {
    @FuzzTest(maxDuration = "10m")
    void gpt(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> DiskLayout.scan(DiskReader.of(data)));
    }
}
