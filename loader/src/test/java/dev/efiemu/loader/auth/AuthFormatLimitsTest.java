package dev.efiemu.loader.auth;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.testing.PeBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The two signature containers at their edges: EFI_SIGNATURE_LIST (UEFI spec §32.4.1) sizes that
 * are just valid and just not, and the PE attribute certificate table (PE/COFF spec §5.7): entries
 * on 8-byte boundaries, dwLength limits, the table's own placement.
 */
class AuthFormatLimitsTest {
    static final Guid OWNER = Guid.parse("11111111-2222-3333-4444-555555555555");

    static byte[] list(Guid type, int listSize, int headerSize, int sigSize, int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(28 + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(type.toBytes()).putInt(listSize).putInt(headerSize).putInt(sigSize);
        for (int i = 28; i < b.capacity(); i++) b.put(i, (byte) i);
        return b.array();
    }

    static String failure(byte[] b) {
        return assertThrows(FormatException.class, () -> SignatureList.parse(b)).getMessage();
    }

    @Test
    void signatureListSizes() {
        // one SHA-256 entry: 28 + 16 + 32 bytes
        assertEquals(1, SignatureList.parse(list(SignatureList.CERT_SHA256, 76, 0, 48, 48)).size());
        assertEquals(List.of(), SignatureList.parse(new byte[0]));
        assertEquals(0, SignatureList.parse(list(SignatureList.CERT_SHA256, 28, 0, 48, 0)).size(), "a list holding no signature");
        assertTrue(failure(new byte[27]).contains("EFI_SIGNATURE_LIST at offset 0x0: 27 bytes left, header needs 28"));
        assertTrue(failure(list(SignatureList.CERT_SHA256, 27, 0, 48, 48)).contains("SignatureListSize 0x1b outside the data"));
        assertTrue(failure(list(SignatureList.CERT_SHA256, 77, 0, 48, 48)).contains("SignatureListSize 0x4d outside the data (0x4c bytes)"));
        assertTrue(failure(list(SignatureList.CERT_SHA256, 76, 0, 15, 48)).contains("SignatureSize 0xf"), "shorter than its owner GUID");
        assertEquals(3, SignatureList.parse(list(SignatureList.CERT_SHA256, 76, 0, 16, 48)).size(), "16-byte signatures: owners only");
        assertTrue(failure(list(SignatureList.CERT_SHA256, 76, 0, 47, 48)).contains("do not divide the list size 0x4c"));
        // a header of 2 bytes before the signatures
        List<SignatureList> h = SignatureList.parse(list(SignatureList.CERT_SHA256, 78, 2, 48, 50));
        assertEquals(1, h.size());
        assertEquals(28 + 2 + 16, h.get(0).data()[0] & 0xff, "data starts after the header and the owner");
        assertTrue(failure(list(SignatureList.CERT_SHA256, 76, 49, 48, 48)).contains("header 0x31"), "a header larger than the list");
        assertEquals(0, SignatureList.parse(list(SignatureList.CERT_SHA256, 76, 48, 48, 48)).size(), "a header that fills the list");

        // a second list right after the first, and a truncated second header
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        two.writeBytes(list(SignatureList.CERT_SHA256, 76, 0, 48, 48));
        two.writeBytes(list(SignatureList.CERT_SHA1, 64, 0, 36, 36));
        List<SignatureList> both = SignatureList.parse(two.toByteArray());
        assertEquals(2, both.size());
        assertEquals("SHA1", both.get(1).typeName());
        assertEquals(20, both.get(1).data().length);
        two.writeBytes(new byte[27]);
        assertTrue(failure(two.toByteArray()).contains("EFI_SIGNATURE_LIST at offset 0x8c: 27 bytes left"));

        assertEquals("X509", new SignatureList(SignatureList.CERT_X509, OWNER, new byte[0]).typeName());
        assertEquals("X509_SHA256", new SignatureList(SignatureList.CERT_X509_SHA256, OWNER, new byte[0]).typeName());
        assertEquals(OWNER.toString(), new SignatureList(OWNER, OWNER, new byte[0]).typeName());
        for (Guid t : List.of(SignatureList.CERT_X509, SignatureList.CERT_SHA256, SignatureList.CERT_SHA1, SignatureList.CERT_X509_SHA256)) {
            assertTrue(SignatureList.looksLikeSignatureList(list(t, 28, 0, 48, 0)), t.toString());
            assertFalse(SignatureList.looksLikeSignatureList(Arrays.copyOf(list(t, 28, 0, 48, 0), 27)), "27 bytes");
        }
        assertFalse(SignatureList.looksLikeSignatureList(list(OWNER, 28, 0, 48, 0)));
    }

    /** X.509 entries get a list each; hashes of one type and size share one. */
    @Test
    void encodingGroupsAsEnrollmentToolsDo() {
        byte[] c1 = {1, 2, 3}, c2 = {4, 5, 6};
        byte[] enc = SignatureList.encode(List.of(new SignatureList(SignatureList.CERT_X509, OWNER, c1),
                new SignatureList(SignatureList.CERT_X509, OWNER, c2),
                new SignatureList(SignatureList.CERT_SHA256, OWNER, new byte[32]),
                new SignatureList(SignatureList.CERT_SHA256, OWNER, new byte[32]),
                new SignatureList(SignatureList.CERT_SHA256, OWNER, new byte[20]),
                new SignatureList(SignatureList.CERT_SHA1, OWNER, new byte[20])));
        ByteBuffer b = ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN);
        int[] sizes = {28 + 19, 28 + 19, 28 + 2 * 48, 28 + 36, 28 + 36};
        int pos = 0;
        for (int s : sizes) {
            assertEquals(s, b.getInt(pos + 16), "SignatureListSize at 0x" + Integer.toHexString(pos));
            assertEquals(0, b.getInt(pos + 20));
            pos += s;
        }
        assertEquals(enc.length, pos);
        assertEquals(6, SignatureList.parse(enc).size());
        assertArrayEquals(c2, SignatureList.parse(enc).get(1).data());
    }

    static byte[] signedImage(byte[] table, long dirOffsetDelta, long dirSizeDelta) {
        byte[] img = PeBuilder.minimal().build();
        byte[] f = Arrays.copyOf(img, img.length + table.length);
        System.arraycopy(table, 0, f, img.length, table.length);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x98 + 112 + 8 * 4, (int) (img.length + dirOffsetDelta));
        b.putInt(0x98 + 116 + 8 * 4, (int) (table.length + dirSizeDelta));
        return f;
    }

    static byte[] entry(int len, int padTo, int type) {
        ByteBuffer b = ByteBuffer.allocate(padTo).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(len).putShort((short) 0x200).putShort((short) type);
        for (int i = 8; i < Math.min(len, padTo); i++) b.put(i, (byte) 0xaa);
        return b.array();
    }

    static String tableFailure(byte[] f) {
        return assertThrows(FormatException.class, () -> WinCertificate.parseTable(PeImage.parse(f))).getMessage();
    }

    @Test
    void certificateTableEntries() {
        assertEquals(List.of(), WinCertificate.parseTable(PeImage.parse(PeBuilder.minimal().build())));
        // two entries: 13 bytes (padded to 16) and 8 bytes (no content)
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.writeBytes(entry(13, 16, WinCertificate.TYPE_PKCS_SIGNED_DATA));
        t.writeBytes(entry(8, 8, WinCertificate.TYPE_X509));
        List<WinCertificate> l = WinCertificate.parseTable(PeImage.parse(signedImage(t.toByteArray(), 0, 0)));
        assertEquals(2, l.size());
        assertEquals(0xa00, l.get(0).fileOffset());
        assertEquals(13, l.get(0).length());
        assertEquals(5, l.get(0).content().length);
        assertEquals(0x200, l.get(0).revision());
        assertEquals("PKCS_SIGNED_DATA", l.get(0).typeName());
        assertEquals(0xa10, l.get(1).fileOffset(), "the next entry on an 8-byte boundary");
        assertEquals(0, l.get(1).content().length);
        assertEquals("X509", l.get(1).typeName());
        assertEquals(1, l.get(1).index());
        assertEquals("PKCS1_SIGN", new WinCertificate(0, 0, 8, 0, 9, new byte[0]).typeName());
        assertEquals("0x0003", new WinCertificate(0, 0, 8, 0, 3, new byte[0]).typeName());

        // fewer than 8 bytes left after the last entry: ignored
        assertEquals(1, WinCertificate.parseTable(PeImage.parse(signedImage(entry(16, 23, 2), 0, 0))).size());
        // dwLength exactly the table, and one byte more
        assertEquals(1, WinCertificate.parseTable(PeImage.parse(signedImage(entry(16, 16, 2), 0, 0))).size());
        assertTrue(tableFailure(signedImage(entry(17, 16, 2), 0, 0)).contains("WIN_CERTIFICATE at offset 0xa00 has dwLength 0x11, outside the table (ends at 0xa10)"));
        assertTrue(tableFailure(signedImage(entry(7, 16, 2), 0, 0)).contains("dwLength 0x7"));
        // the table itself: past the end of the file, not aligned
        assertTrue(tableFailure(signedImage(entry(16, 16, 2), 0, 1)).contains("certificate table at offset 0xa00 size 0x11 extends beyond the end of the file (0xa10 bytes)"));
        byte[] odd = signedImage(entry(16, 20, 2), 4, -4);
        assertTrue(tableFailure(odd).contains("certificate table at offset 0xa04 is not 8-byte aligned"));
        // at most 64 entries
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        for (int i = 0; i < 64; i++) many.writeBytes(entry(8, 8, 2));
        assertEquals(64, WinCertificate.parseTable(PeImage.parse(signedImage(many.toByteArray(), 0, 0))).size());
        many.writeBytes(entry(8, 8, 2));
        assertTrue(tableFailure(signedImage(many.toByteArray(), 0, 0)).contains("more than 64 entries"));
    }
}
