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

/**
 * The seeds are what their fuzz targets need to start from: each is accepted by its parser, deep
 * inside. Seeds built from the repository's own C apps and disk tools are committed; seeds cut
 * from Debian's payloads (kernel heads, OVMF's variable store) are never committed but taken from
 * the fixture cache here, and bench/fuzz.sh cuts the same ones for its corpus.
 */
class FuzzSeedsTest {
    /** The Debian payloads' seeds, as bench/fuzz.sh cuts them. */
    static byte[] head(java.nio.file.Path file, int bytes) throws IOException {
        byte[] all = java.nio.file.Files.readAllBytes(file);
        return java.util.Arrays.copyOf(all, Math.min(bytes, all.length));
    }

    @Test
    void seedsCutFromDebianPayloadsParseDeeply() throws IOException {
        dev.efiemu.fixtures.Fixtures fx = dev.efiemu.fixtures.Fixtures.cache().requireFetched();
        byte[] bz = head(fx.cloudKernel(), 16384);
        assertTrue(BzImageHeader.parse(bz) != null);
        BzImageFuzzer.fuzzerTestOneInput(bz);
        byte[] image = head(fx.arm64Image(), 4096);
        assertTrue(Arm64ImageHeader.parse(image) != null);
        Arm64ImageFuzzer.fuzzerTestOneInput(image);
        byte[] fv = java.nio.file.Files.readAllBytes(fx.ovmfVarsSnakeoil());
        EdkVariableStore vars = EdkVariableStore.parse(fv);
        assertTrue(vars.db().isPresent() && vars.pk().isPresent(), "the snakeoil store's keys");
        VariableStoreFuzzer.fuzzerTestOneInput(fv);
        assertEquals(1, SignatureList.parse(vars.db().get()).size());
        SignatureListFuzzer.fuzzerTestOneInput(vars.db().get());
    }

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

        byte[] z = seed("ZbootFuzzer", "zboot", "small-gzip.pe");
        assertEquals(4096, ZbootImage.parse(z).decompress(z, ZbootFuzzer.LIMIT).length);


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
