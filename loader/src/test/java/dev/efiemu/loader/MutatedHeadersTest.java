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
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 4: mutated variants of the real fixtures' headers (and of small whole files: the
 * systemd stub, shim, the OVMF store, its db signature list, a small zboot container) go through
 * every parser; the only exception allowed out is the one-line {@link FormatException}, and each
 * parser is shown to be reached (it accepts some variants) and to check (it refuses some).
 */
class MutatedHeadersTest {
    private static final int HEADER_BYTES = 4096;
    private static final long[] INTERESTING = {0, 1, 7, 8, 0x40, 0x60, 0x1000, 0x7fff, 0xffff, 0x10000, 0x7fffffffL, 0x80000000L, 0xfffffff8L, 0xffffffffL};

    private TrustStore store;
    /** Per parser: {accepted, rejected with a FormatException}. */
    private final java.util.Map<String, int[]> outcomes = new java.util.TreeMap<>();

    private void count(String parser, boolean accepted) {
        outcomes.computeIfAbsent(parser, k -> new int[2])[accepted ? 0 : 1]++;
    }

    private void attempt(String parser, Runnable r) {
        try {
            r.run();
            count(parser, true);
        } catch (FormatException expected) {
            assertOneLine(expected);
            count(parser, false);
        }
    }

    @Test
    void tenThousandMutatedHeaders() throws Exception {
        Fixtures f = fx();
        store = TrustStore.builder().addVarsFile(f.ovmfVarsMs()).addShimVendorCert(f.shim()).build();
        List<Path> sources = List.of(f.cloudKernel(), f.shim(), f.grub(), f.systemdStub(), f.uki(), f.signedUki(),
                f.zboot("6.1", "zstd"), f.zboot("6.12", "gzip"), f.arm64Image(), f.ovmfVarsMs());
        Random r = new Random(0x5eed);
        // Small inputs whose whole mutated file goes through every parser: an EFI signature list (the
        // MS db from the OVMF store) and a small zboot container that decompresses.
        byte[] db = EdkVariableStore.parse(read(f.ovmfVarsMs())).db().orElseThrow();
        byte[] smallZboot = dev.efiemu.loader.linux.ZbootImageTest.zboot("gzip", dev.efiemu.loader.linux.ZbootImageTest.payload());
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
        // Deeper paths (relocations, certificate table, variables, signature lists, decompression)
        // need whole files: mutate the small ones.
        List<Object[]> deep = List.of(new Object[] {"systemd-stub", read(f.systemdStub()), 300}, new Object[] {"shim", read(f.shim()), 60},
                new Object[] {"OVMF_VARS ms", read(f.ovmfVarsMs()), 300}, new Object[] {"db", db, 300},
                new Object[] {"zboot (gzip, small)", smallZboot, 300});
        for (Object[] d : deep) {
            for (int i = 0; i < (int) d[2]; i++) {
                byte[] v = mutate((byte[]) d[1], r);
                parsed += allParsers(v, d[0] + " whole-file variant " + i);
                variants++;
            }
        }
        System.out.printf("%d mutated variants, %d parsed as PE, %.1f s (headers %.1f s)%n", variants, parsed,
                (System.nanoTime() - t0) / 1e9, (t1 - t0) / 1e9);
        outcomes.forEach((k, v) -> System.out.printf("  %-22s accepted %6d  rejected %6d%n", k, v[0], v[1]));
        // The mutations must reach past each parser's first checks and each parser must refuse
        // some of them: a parser that accepts everything, or a mutator that only ever produces
        // inputs rejected at the magic number, fails here.
        assertEquals(Set.of("Arm64ImageHeader", "Authenticode.verify", "AuthenticodeDigest", "SignatureList", "BzImageHeader", "EdkVariableStore",
                "Inspector", "PeImage", "PeImage.mapImage", "UkiSections", "WinCertificate", "ZbootImage", "Zboot.decompress"), outcomes.keySet());
        for (var e : outcomes.entrySet()) {
            int accepted = e.getValue()[0], rejected = e.getValue()[1];
            assertTrue(accepted > 0, e.getKey() + " accepted none of the variants");
            // mapImage and the UKI sections work on what PeImage.parse already validated
            if (!Set.of("PeImage.mapImage", "UkiSections").contains(e.getKey())) {
                assertTrue(rejected > 0, e.getKey() + " rejected none of the variants");
            }
        }
        assertTrue(parsed > variants / 4, parsed + " of " + variants + " variants parsed as PE");
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
        int[] pe = {0};
        try {
            PeImage[] img = {null};
            attempt("PeImage", () -> img[0] = PeImage.parse(b));
            if (img[0] != null) {
                pe[0] = 1;
                PeImage p = img[0];
                if (p.sizeOfImage() <= (16 << 20)) attempt("PeImage.mapImage", () -> p.mapImage(p.imageBase() + 0x200000));
                attempt("AuthenticodeDigest", () -> AuthenticodeDigest.digest(p, "SHA-256"));
                attempt("WinCertificate", () -> WinCertificate.parseTable(p));
                attempt("Authenticode.verify", () -> Authenticode.verify(p, store));
                if (UkiSections.isUki(p)) attempt("UkiSections", () -> UkiSections.of(p).osRelease());
            }
            attempt("BzImageHeader", () -> BzImageHeader.parse(b));
            attempt("Arm64ImageHeader", () -> Arm64ImageHeader.parse(b));
            attempt("Zboot.decompress", () -> ZbootImage.parse(b).decompress(b, 8 << 20));
            attempt("EdkVariableStore", () -> EdkVariableStore.parse(b));
            attempt("SignatureList", () -> SignatureList.parse(b));
            attempt("Inspector", () -> Json.write(Inspector.inspect(b, "variant", TrustStore.empty())));
        } catch (Throwable t) {
            fail(what + ": uncaught " + t, t);
        }
        return pe[0];
    }

    /** Parsers that only read headers and tables, cheap enough for multi-megabyte files. */
    int headerParsers(byte[] b, String what) {
        int[] pe = {0};
        try {
            PeImage[] img = {null};
            attempt("PeImage", () -> img[0] = PeImage.parse(b));
            if (img[0] != null) {
                pe[0] = 1;
                PeImage p = img[0];
                if (p.sizeOfImage() <= (2 << 20)) attempt("PeImage.mapImage", () -> p.mapImage(p.imageBase() - 0x1000));
                attempt("WinCertificate", () -> WinCertificate.parseTable(p));
                if (UkiSections.isUki(p)) attempt("UkiSections", () -> UkiSections.of(p).osRelease());
            }
            attempt("BzImageHeader", () -> BzImageHeader.parse(b));
            attempt("Arm64ImageHeader", () -> Arm64ImageHeader.parse(b));
            attempt("ZbootImage", () -> ZbootImage.parse(b));
        } catch (Throwable t) {
            fail(what + ": uncaught " + t, t);
        }
        return pe[0];
    }

    static void assertOneLine(FormatException e) {
        assertNotNull(e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
