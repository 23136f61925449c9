package dev.efiemu.loader;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.AuthenticodeDigest;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.SignatureList;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.WinCertificate;
import dev.efiemu.loader.inspect.Inspector;
import dev.efiemu.loader.json.Json;
import dev.efiemu.loader.linux.Arm64ImageHeader;
import dev.efiemu.loader.linux.BzImageHeader;
import dev.efiemu.loader.linux.ZbootImage;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.uki.UkiSections;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 4: mutated variants of the real fixtures' headers go through every parser; the
 * only exception allowed out is the one-line {@link FormatException}.
 */
class MutatedHeadersTest {
    private static final int HEADER_BYTES = 4096;
    private static final long[] INTERESTING = {0, 1, 7, 8, 0x40, 0x60, 0x1000, 0x7fff, 0xffff, 0x10000, 0x7fffffffL, 0x80000000L, 0xfffffff8L, 0xffffffffL};

    private TrustStore store;

    @Test
    void tenThousandMutatedHeaders() {
        Fixtures f = fx();
        store = TrustStore.builder().addVarsFile(f.ovmfVarsMs()).addShimVendorCert(f.shim()).build();
        List<Path> sources = List.of(f.cloudKernel(), f.shim(), f.grub(), f.systemdStub(), f.uki(), f.signedUki(),
                f.zboot("6.1", "zstd"), f.zboot("6.12", "gzip"), f.arm64Image(), f.ovmfVarsMs());
        Random r = new Random(0x5eed);
        int variants = 0, parsed = 0;
        long t0 = System.nanoTime();
        for (Path p : sources) {
            byte[] whole = read(p);
            byte[] head = Arrays.copyOf(whole, HEADER_BYTES);
            for (int i = 0; i < 1100; i++) {
                byte[] v = mutate(head, r);
                parsed += allParsers(v, p + " variant " + i);
                // The same header change on the whole file reaches the section, relocation and
                // certificate tables behind the first 4 KiB (cheap parsers only: no hashing).
                if (v.length == HEADER_BYTES) {
                    byte[] saved = Arrays.copyOf(whole, HEADER_BYTES);
                    System.arraycopy(v, 0, whole, 0, HEADER_BYTES);
                    parsed += headerParsers(whole, p + " whole-file header variant " + i);
                    System.arraycopy(saved, 0, whole, 0, HEADER_BYTES);
                }
                variants++;
            }
        }
        long t1 = System.nanoTime();
        // Deeper paths (relocations, certificate table, variables) need whole files: mutate the small ones.
        for (Path p : List.of(f.systemdStub(), f.shim(), f.ovmfVarsMs())) {
            byte[] whole = read(p);
            for (int i = 0; i < (p.equals(f.shim()) ? 40 : 100); i++) {
                byte[] v = mutate(whole, r);
                parsed += allParsers(v, p + " whole-file variant " + i);
                variants++;
            }
        }
        System.out.printf("%d mutated variants, %d parsed as PE, %.1f s (headers %.1f s)%n", variants, parsed,
                (System.nanoTime() - t0) / 1e9, (t1 - t0) / 1e9);
        assertTrue(variants >= 10_000);
    }

    /** Flips bytes, writes interesting 16/32-bit values into the headers, or truncates. */
    static byte[] mutate(byte[] src, Random r) {
        int kind = r.nextInt(10);
        if (kind == 0) return Arrays.copyOf(src, r.nextInt(src.length));
        byte[] b = src.clone();
        int hot = Math.min(b.length, 0x400);
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
            int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(hot);
            if (kind < 5) {
                b[at] ^= (byte) (1 << r.nextInt(8));
            } else {
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                at &= ~1;
                int width = r.nextBoolean() ? 2 : 4;
                for (int j = 0; j < width && at + j < b.length; j++) b[at + j] = (byte) (v >>> (8 * j));
            }
        }
        return b;
    }

    /** Runs every parser; returns 1 when the variant still parsed as a PE image. */
    int allParsers(byte[] b, String what) {
        int pe = 0;
        try {
            try {
                PeImage img = PeImage.parse(b);
                pe = 1;
                if (img.sizeOfImage() <= (16 << 20)) img.mapImage(img.imageBase() + 0x200000);
                AuthenticodeDigest.digest(img, "SHA-256");
                try {
                    WinCertificate.parseTable(img);
                } catch (FormatException expected) {
                    // reported by verify as INVALID
                }
                Authenticode.verify(img, store);
                if (UkiSections.isUki(img)) UkiSections.of(img).osRelease();
            } catch (FormatException expected) {
                assertOneLine(expected);
            }
            for (Runnable parser : List.<Runnable>of(
                    () -> BzImageHeader.parse(b),
                    () -> Arm64ImageHeader.parse(b),
                    () -> ZbootImage.parse(b).decompress(b, 8 << 20),
                    () -> EdkVariableStore.parse(b),
                    () -> SignatureList.parse(b),
                    () -> Json.write(Inspector.inspect(b, "variant", TrustStore.empty())))) {
                try {
                    parser.run();
                } catch (FormatException expected) {
                    assertOneLine(expected);
                }
            }
        } catch (Throwable t) {
            fail(what + ": uncaught " + t, t);
        }
        return pe;
    }

    /** Parsers that only read headers and tables, cheap enough for multi-megabyte files. */
    int headerParsers(byte[] b, String what) {
        int pe = 0;
        try {
            try {
                PeImage img = PeImage.parse(b);
                pe = 1;
                if (img.sizeOfImage() <= (2 << 20)) img.mapImage(img.imageBase() - 0x1000);
                WinCertificate.parseTable(img);
                if (UkiSections.isUki(img)) UkiSections.of(img).osRelease();
            } catch (FormatException expected) {
                assertOneLine(expected);
            }
            for (Runnable parser : List.<Runnable>of(() -> BzImageHeader.parse(b), () -> Arm64ImageHeader.parse(b), () -> ZbootImage.parse(b))) {
                try {
                    parser.run();
                } catch (FormatException expected) {
                    assertOneLine(expected);
                }
            }
        } catch (Throwable t) {
            fail(what + ": uncaught " + t, t);
        }
        return pe;
    }

    static void assertOneLine(FormatException e) {
        assertNotNull(e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
