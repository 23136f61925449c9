package dev.efiemu.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.SignatureList;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.Verdict;
import dev.efiemu.loader.disk.DiskLayout;
import dev.efiemu.loader.disk.DiskReader;
import dev.efiemu.loader.disk.FatVolume;
import dev.efiemu.loader.linux.Arm64ImageHeader;
import dev.efiemu.loader.linux.BzImageHeader;
import dev.efiemu.loader.linux.ZbootImage;
import dev.efiemu.loader.pe.PeImage;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The committed seeds are what their fuzz targets need to start from: each is accepted by its parser, deep inside. */
class FuzzSeedsTest {
    static byte[] seed(String target, String method, String name) throws IOException {
        try (InputStream in = FuzzSeedsTest.class.getResourceAsStream(target + "Inputs/" + method + "/" + name)) {
            if (in == null) throw new AssertionError("seed " + target + "Inputs/" + method + "/" + name + " missing");
            return in.readAllBytes();
        }
    }

    @Test
    void seedsParseDeeply() throws IOException {
        PeImage x64 = PeImage.parse(seed("PeImageFuzzer", "peImage", "x86_64-app.pe"));
        assertTrue(x64.sections().size() > 1, "an x86_64 app with sections");
        PeImage relocated = PeImage.parse(seed("PeImageFuzzer", "peImage", "relocated.pe"));
        assertEquals(2, relocated.relocations().count(), "two DIR64 base relocations");
        relocated.mapImage(relocated.imageBase() + 0x10000);
        assertEquals(0xaa64, PeImage.parse(seed("PeImageFuzzer", "peImage", "aarch64-app.pe")).machine());

        Verdict v = Authenticode.verify(PeImage.parse(seed("AuthenticodeFuzzer", "authenticode", "signed-app.pe")), TrustStore.empty());
        assertEquals(1, v.signatures().size(), v.reason());
        assertTrue(v.signatures().get(0).digestMatches() && v.signatures().get(0).signatureValid(), v.reason());

        assertTrue(BzImageHeader.parse(seed("BzImageFuzzer", "bzImage", "vmlinuz-head")) != null);
        assertTrue(Arm64ImageHeader.parse(seed("Arm64ImageFuzzer", "arm64Image", "Image-head")) != null);
        byte[] z = seed("ZbootFuzzer", "zboot", "small-gzip.pe");
        assertEquals(4096, ZbootImage.parse(z).decompress(z, ZbootFuzzer.LIMIT).length);

        assertEquals(1, SignatureList.parse(seed("SignatureListFuzzer", "signatureList", "snakeoil-db.esl")).size());
        EdkVariableStore vars = EdkVariableStore.parse(seed("VariableStoreFuzzer", "variableStore", "snakeoil-vars"));
        assertTrue(vars.db().isPresent() && vars.pk().isPresent(), "the store's keys survive the cut");

        // disk images made by sfdisk, mkfs.vfat + mcopy and xorriso
        assertEquals(2, DiskLayout.scan(DiskReader.of(seed("GptFuzzer", "gpt", "gpt.img"))).partitions().size());
        assertEquals(3, DiskLayout.scan(DiskReader.of(seed("MbrFuzzer", "mbr", "mbr.img"))).partitions().size(), "one primary, two logical");
        DiskLayout iso = DiskLayout.scan(DiskReader.of(seed("ElToritoFuzzer", "elTorito", "el.iso")));
        assertTrue(iso.cdrom() && iso.partitions().get(0).mayBeFat(), "an El Torito EFI image");
        byte[] fat = seed("FatFuzzer", "fat", "fat.img");
        FatVolume fv = FatVolume.open(DiskReader.of(fat), 0, fat.length, "seed");
        assertEquals("hello\n", new String(fv.readAll(fv.lookup(java.util.List.of("EFI", "BOOT", "BOOTX64.EFI")))));
        assertTrue(fv.lookup(java.util.List.of("A Long File Name.txt")) != null, "a long name");
    }
}
