package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;
import dev.efiemu.loader.uki.UkiSections;

/** PE32+ headers, sections and base relocations: parse, map at another base (relocating), read every section, UKI sections. */
public class PeImageFuzzer {
    @FuzzTest(maxDuration = "10m")
    void peImage(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        PeImage[] pe = {null};
        if (!Fuzz.accepts(() -> pe[0] = PeImage.parse(data, "fuzz"))) return;
        PeImage img = pe[0];
        if (img.sizeOfImage() <= (16 << 20)) Fuzz.accepts(() -> img.mapImage(img.imageBase() + 0x200000));
        for (SectionHeader s : img.sections()) Fuzz.accepts(() -> img.sectionData(s));
        if (UkiSections.isUki(img)) Fuzz.accepts(() -> UkiSections.of(img).osRelease());
    }
}
