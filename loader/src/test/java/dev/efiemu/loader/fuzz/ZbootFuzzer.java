package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.linux.ZbootImage;

/** EFI zboot containers: the header, then gzip/zstd decompression under a size limit (a bomb is refused, not allocated). */
public class ZbootFuzzer {
    static final long LIMIT = 4 << 20;

    @FuzzTest(maxDuration = "10m")
    void zboot(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        ZbootImage[] z = {null};
        if (!Fuzz.accepts(() -> z[0] = ZbootImage.parse(data))) return;
        Fuzz.accepts(() -> {
            byte[] out = z[0].decompress(data, LIMIT);
            if (out.length > LIMIT) throw new AssertionError("decompressed " + out.length + " bytes past the limit " + LIMIT);
        });
    }
}
