package dev.efiemu.loader.auth;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Acceptance 1: the Authenticode digests of the real payloads equal `pesign --hash`. */
class PesignDigestTest {
    static List<Path> payloads() {
        var f = fx();
        return List.of(f.cloudKernel(), f.shim(), f.grub(), f.systemdStub(), f.uki(), f.signedUki());
    }

    @Test
    void digestsMatchPesign() {
        Tools.require("pesign", "pesign");
        StringBuilder table = new StringBuilder();
        for (Path p : payloads()) {
            PeImage pe = PeImage.parse(read(p), p.toString());
            for (String alg : List.of("SHA-256", "SHA-1")) {
                String ours = Bytes.hex(AuthenticodeDigest.digest(pe, alg));
                assertEquals(Tools.pesignHash(p, alg), ours, alg + " of " + p);
                table.append(String.format("%-8s %-26s %s%n", alg, p.getFileName(), ours));
            }
        }
        System.out.print("digests equal pesign --hash:\n" + table);
    }

    @Test
    void signedImagesCarryTheComputedDigest() {
        var f = fx();
        for (Path p : List.of(f.cloudKernel(), f.shim(), f.grub(), f.signedUki())) {
            Verdict v = Authenticode.verify(PeImage.parse(read(p), p.toString()), TrustStore.empty());
            assertFalse(v.signatures().isEmpty(), p + " is signed");
            for (Verdict.SignatureCheck c : v.signatures()) {
                assertTrue(c.digestMatches(), p + " signature " + c.index() + " digest");
                assertTrue(c.signatureValid(), p + " signature " + c.index() + " PKCS#7");
            }
        }
    }
    /**
     * Layouts the real payloads do not have, each against pesign: sections stored in the file in a
     * different order than in the section table, a BSS section without raw data, bytes after the
     * last section; and, against edk2's rule, an image with no certificate-table entry.
     */
    @Test
    void oddLayoutsMatchPesign(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Tools.require("pesign", "pesign");
        java.util.Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("minimal", dev.efiemu.loader.testing.PeBuilder.minimal().build());
        var swapped = dev.efiemu.loader.testing.PeBuilder.minimal();
        swapped.sections.get(0).rawPtr = 0x600; // .text stored after .data
        swapped.sections.get(1).rawPtr = 0x400;
        swapped.sections.get(2).rawPtr = 0x800;
        cases.put("file order differs", swapped.build());
        var bss = dev.efiemu.loader.testing.PeBuilder.minimal();
        bss.section(".bss", 0x6000, 0x1000, new byte[0]).rawSize = 0;
        cases.put("bss", bss.build());
        byte[] plain = dev.efiemu.loader.testing.PeBuilder.minimal().build();
        byte[] trailing = java.util.Arrays.copyOf(plain, plain.length + 24);
        java.util.Arrays.fill(trailing, plain.length, trailing.length, (byte) 0x5a);
        cases.put("trailing data", trailing);
        for (var c : cases.entrySet()) {
            Path f = java.nio.file.Files.write(dir.resolve(c.getKey().replace(' ', '-') + ".efi"), c.getValue());
            PeImage pe = PeImage.parse(c.getValue(), f.toString());
            for (String alg : List.of("SHA-256", "SHA-1")) {
                assertEquals(Tools.pesignHash(f, alg), Bytes.hex(AuthenticodeDigest.digest(pe, alg)), alg + " of " + c.getKey());
            }
        }
        // Four data directories, so no certificate-table entry to skip: pesign skips 8 bytes where the
        // entry would be all the same (in the section table); edk2's HashPeImage (the firmware that
        // verifies) hashes the headers whole but CheckSum, as we do.
        var four = dev.efiemu.loader.testing.PeBuilder.minimal();
        four.numberOfRvaAndSizes = 4;
        four.sections.remove(2);
        byte[] f4 = four.build();
        PeImage p4 = PeImage.parse(f4);
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(f4, 0, (int) p4.checkSumOffset());
        md.update(f4, (int) p4.checkSumOffset() + 4, (int) (p4.sizeOfHeaders() - p4.checkSumOffset() - 4));
        for (var sec : p4.sections()) md.update(f4, (int) sec.pointerToRawData(), (int) sec.sizeOfRawData());
        assertEquals(Bytes.hex(md.digest()), Bytes.hex(AuthenticodeDigest.digest(p4, "SHA-256")), "no certificate entry");

        AuthenticodeDigest.Result r = AuthenticodeDigest.compute(PeImage.parse(trailing), "SHA-256");
        assertEquals(trailing.length, r.bytesHashed(), "SUM_OF_BYTES_HASHED counts SizeOfHeaders whole, then sections and trailing bytes");
        assertEquals(24, r.trailingBytes());
        assertEquals(List.of(), r.notes());
        AuthenticodeDigest.Result s = AuthenticodeDigest.compute(PeImage.parse(swapped.build()), "SHA-256");
        assertEquals(0, s.trailingBytes());
        assertThrows(IllegalArgumentException.class, () -> AuthenticodeDigest.compute(PeImage.parse(plain), "NO-SUCH-DIGEST"));
    }
}
