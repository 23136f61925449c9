package dev.efiemu.loader.auth;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignatureListTest {
    static byte[] guid(Guid g) {
        return g.toBytes();
    }

    /** One EFI_SIGNATURE_LIST holding the given same-size entries. */
    static byte[] esl(Guid type, byte[]... entries) {
        int sigSize = 16 + entries[0].length;
        ByteBuffer b = ByteBuffer.allocate(28 + sigSize * entries.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(guid(type)).putInt(b.capacity()).putInt(0).putInt(sigSize);
        for (byte[] e : entries) b.put(guid(Guid.parse("11111111-2222-3333-4444-555555555555"))).put(e);
        return b.array();
    }

    @Test
    void guidLayout() {
        byte[] g = guid(SignatureList.CERT_X509);
        assertEquals((byte) 0xa1, g[0]); // Data1 little-endian
        assertEquals((byte) 0xa7, g[6]);
        assertEquals((byte) 0x87, g[8]); // Data4 as stored
        assertEquals(SignatureList.CERT_X509, Guid.fromBytes(g, 0));
    }

    @Test
    void parsesHashLists() {
        byte[] h1 = new byte[32], h2 = new byte[32];
        h2[0] = 1;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(esl(SignatureList.CERT_SHA256, h1, h2));
        o.writeBytes(esl(SignatureList.CERT_SHA1, new byte[20]));
        List<SignatureList> l = SignatureList.parse(o.toByteArray());
        assertEquals(3, l.size());
        assertEquals("SHA256", l.get(1).typeName());
        assertEquals(1, l.get(1).data()[0]);
        assertEquals(Guid.parse("11111111-2222-3333-4444-555555555555"), l.get(0).owner());
        TrustStore ts = TrustStore.builder().addDbx(o.toByteArray(), "test dbx").build();
        assertEquals(3, ts.forbiddenHashes().size());
    }

    @Test
    void encodesWhatItParses() {
        Guid owner = Guid.parse("11111111-2222-3333-4444-555555555555");
        Guid other = Guid.parse("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5");
        byte[] h1 = new byte[32], h2 = new byte[32], certA = new byte[10], certB = new byte[10];
        h2[0] = 1;
        certB[9] = 2;
        assertArrayEquals(esl(SignatureList.CERT_SHA256, h1, h2), SignatureList.encode(List.of(
                new SignatureList(SignatureList.CERT_SHA256, owner, h1), new SignatureList(SignatureList.CERT_SHA256, owner, h2))));
        List<SignatureList> entries = List.of(
                new SignatureList(SignatureList.CERT_SHA256, owner, h1),
                new SignatureList(SignatureList.CERT_SHA256, other, h2),
                new SignatureList(SignatureList.CERT_SHA1, owner, new byte[20]),
                new SignatureList(SignatureList.CERT_X509, other, certA),
                new SignatureList(SignatureList.CERT_X509, other, certB),
                new SignatureList(SignatureList.CERT_SHA256, owner, h2));
        byte[] encoded = SignatureList.encode(entries);
        // lists: two SHA-256 | one SHA-1 | one X.509 | one X.509 | one SHA-256
        assertEquals((28 + 2 * 48) + (28 + 36) + 2 * (28 + 26) + (28 + 48), encoded.length);
        List<SignatureList> back = SignatureList.parse(encoded);
        assertEquals(entries.size(), back.size());
        for (int i = 0; i < entries.size(); i++) {
            assertEquals(entries.get(i).type(), back.get(i).type(), "type " + i);
            assertEquals(entries.get(i).owner(), back.get(i).owner(), "owner " + i);
            assertArrayEquals(entries.get(i).data(), back.get(i).data(), "data " + i);
        }
        assertArrayEquals(new byte[0], SignatureList.encode(List.of()));
    }

    @Test
    void rejectsBadLists() {
        byte[] e = esl(SignatureList.CERT_SHA256, new byte[32]);
        ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1000);
        assertTrue(assertThrows(FormatException.class, () -> SignatureList.parse(e)).getMessage().contains("SignatureListSize"));
        byte[] f = esl(SignatureList.CERT_SHA256, new byte[32]);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 47);
        assertTrue(assertThrows(FormatException.class, () -> SignatureList.parse(f)).getMessage().contains("SignatureSize"));
        assertThrows(FormatException.class, () -> TrustStore.builder().addDb("junk".getBytes(StandardCharsets.US_ASCII), "x"));
    }

    /** A firmware volume with an authenticated variable store holding db and a deleted dbx. */
    static byte[] varsFv(byte[] db, byte[] deletedDbx) {
        ByteBuffer b = ByteBuffer.allocate(0x2000).order(ByteOrder.LITTLE_ENDIAN);
        b.put(40, (byte) '_').put(41, (byte) 'F').put(42, (byte) 'V').put(43, (byte) 'H');
        b.putShort(48, (short) 0x48);
        b.position(0x48);
        b.put(guid(EdkVariableStore.AUTHENTICATED_VARIABLE_GUID)).putInt(0x2000 - 0x48).put((byte) 0x5a).put((byte) 0xfe);
        int pos = 0x48 + 28;
        pos = variable(b, pos, 0x3c, "dbx", deletedDbx);
        pos = variable(b, pos, 0x3f, "db", db);
        return b.array();
    }

    static int variable(ByteBuffer b, int pos, int state, String name, byte[] data) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_16LE);
        b.putShort(pos, (short) 0x55aa).put(pos + 2, (byte) state).putInt(pos + 4, 0x27);
        b.putInt(pos + 36, n.length).putInt(pos + 40, data.length);
        b.position(pos + 44);
        b.put(guid(EdkVariableStore.IMAGE_SECURITY_DATABASE)).put(n).put(data);
        return (b.position() + 3) & ~3;
    }

    @Test
    void readsEdkVariableStore() {
        byte[] db = esl(SignatureList.CERT_SHA256, new byte[32]);
        byte[] fv = varsFv(db, esl(SignatureList.CERT_SHA256, new byte[32], new byte[32]));
        EdkVariableStore vs = EdkVariableStore.parse(fv);
        assertTrue(vs.authenticated());
        assertEquals(1, vs.variables().size());
        assertArrayEquals(db, vs.db().orElseThrow());
        assertTrue(vs.dbx().isEmpty(), "deleted dbx must be ignored");
        TrustStore ts = TrustStore.builder().addVars(fv, "vars").build();
        assertEquals(1, ts.allowedHashes().size());
        assertEquals("vars db", ts.allowedHashes().get(0).source());
    }

    @Test
    void rejectsNonVolume() {
        assertThrows(FormatException.class, () -> EdkVariableStore.parse(new byte[100]));
        byte[] fv = varsFv(new byte[0], new byte[0]);
        fv[0x48] ^= 1;
        assertTrue(assertThrows(FormatException.class, () -> EdkVariableStore.parse(fv)).getMessage().contains("no variable store header"));
    }
}
