package dev.efiemu.loader.auth;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OVMF's variable store (edk2 MdeModulePkg VariableFormat.h) at its edges: authenticated (60-byte
 * headers) and plain (32-byte) stores, variables ending exactly at the store's end or one byte
 * past it, the states a variable goes through when it is replaced (added, in deleted transition,
 * deleted), and the store's size cutting the volume short.
 */
class EdkVariableStoreTest {
    static final Guid GLOBAL = EdkVariableStore.GLOBAL_VARIABLE, IMAGE = EdkVariableStore.IMAGE_SECURITY_DATABASE;

    /** A volume: FV header of 0x48 bytes, then a store of {@code storeSize} bytes. */
    static ByteBuffer volume(boolean auth, int storeSize, int fvSize) {
        ByteBuffer b = ByteBuffer.allocate(fvSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(40, (byte) '_').put(41, (byte) 'F').put(42, (byte) 'V').put(43, (byte) 'H');
        b.putShort(48, (short) 0x48);
        b.position(0x48);
        b.put((auth ? EdkVariableStore.AUTHENTICATED_VARIABLE_GUID : EdkVariableStore.VARIABLE_GUID).toBytes()).putInt(storeSize);
        return b;
    }

    static int variable(ByteBuffer b, boolean auth, int pos, int state, Guid vendor, String name, byte[] data) {
        int h = auth ? 60 : 32;
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_16LE);
        b.putShort(pos, (short) 0x55aa).put(pos + 2, (byte) state).putInt(pos + 4, 0x27);
        b.putInt(pos + h - 24, n.length).putInt(pos + h - 20, data.length);
        b.position(pos + h - 16);
        b.put(vendor.toBytes()).put(n).put(data);
        return (b.position() + 3) & ~3;
    }

    @Test
    void authenticatedAndPlainStores() {
        for (boolean auth : new boolean[] {true, false}) {
            ByteBuffer b = volume(auth, 0x1000, 0x2000);
            int pos = 0x48 + 28;
            pos = variable(b, auth, pos, 0x3f, GLOBAL, "PK", new byte[] {1});
            pos = variable(b, auth, pos, 0x3f, GLOBAL, "KEK", new byte[] {2, 2});
            pos = variable(b, auth, pos, 0x3f, IMAGE, "db", new byte[] {3, 3, 3});
            pos = variable(b, auth, pos, 0x3f, IMAGE, "dbx", new byte[] {4});
            variable(b, auth, pos, 0x3f, GLOBAL, "db", new byte[] {9}); // same name, other vendor
            EdkVariableStore vs = EdkVariableStore.parse(b.array());
            assertEquals(auth, vs.authenticated());
            assertEquals(5, vs.variables().size());
            assertArrayEquals(new byte[] {1}, vs.pk().orElseThrow());
            assertArrayEquals(new byte[] {2, 2}, vs.kek().orElseThrow());
            assertArrayEquals(new byte[] {3, 3, 3}, vs.db().orElseThrow());
            assertArrayEquals(new byte[] {4}, vs.dbx().orElseThrow());
            assertEquals(0x27, vs.variables().get(0).attributes());
            assertEquals("KEK", vs.variables().get(1).name(), "the name ends at its NUL");
            assertTrue(vs.get(GLOBAL, "nope").isEmpty());
        }
    }

    @Test
    void replacedVariables() {
        ByteBuffer b = volume(true, 0x1000, 0x2000);
        int pos = 0x48 + 28;
        pos = variable(b, true, pos, 0x3c, IMAGE, "db", new byte[] {1});          // deleted: ignored
        pos = variable(b, true, pos, 0x3e, IMAGE, "dbx", new byte[] {2});         // in deleted transition, no newer copy: counts
        pos = variable(b, true, pos, 0x3e, GLOBAL, "KEK", new byte[] {3});        // in transition, but a newer copy follows
        variable(b, true, pos, 0x3f, GLOBAL, "KEK", new byte[] {4});
        EdkVariableStore vs = EdkVariableStore.parse(b.array());
        assertTrue(vs.db().isEmpty());
        assertArrayEquals(new byte[] {2}, vs.dbx().orElseThrow());
        assertArrayEquals(new byte[] {4}, vs.kek().orElseThrow());
        assertEquals(2, vs.variables().size());
    }

    @Test
    void storeEnd() {
        // a variable whose data ends exactly at the end of the store: read; one byte more: refused
        int start = 0x48 + 28, dataLen = 8, nameLen = ("db\0").length() * 2;
        int storeSize = 28 + 60 + nameLen + dataLen;
        ByteBuffer b = volume(true, storeSize, 0x1000);
        variable(b, true, start, 0x3f, IMAGE, "db", new byte[dataLen]);
        assertEquals(1, EdkVariableStore.parse(b.array()).variables().size());
        ByteBuffer c = volume(true, storeSize - 1, 0x1000);
        variable(c, true, start, 0x3f, IMAGE, "db", new byte[dataLen]);
        String m = assertThrows(FormatException.class, () -> EdkVariableStore.parse(c.array())).getMessage();
        assertTrue(m.contains("variable at offset 0x64: name 0x6 + data 0x8 bytes run past the store end 0xad"), m);
        // a store whose size runs past the volume ends with the volume
        ByteBuffer d = volume(true, 0x100000, start + 60 + nameLen + dataLen);
        variable(d, true, start, 0x3f, IMAGE, "db", new byte[dataLen]);
        assertEquals(1, EdkVariableStore.parse(d.array()).variables().size());
        // a header that does not fit before the end: the walk stops there
        ByteBuffer e = volume(true, 28 + 59, 0x1000);
        variable(e, true, start, 0x3f, IMAGE, "db", new byte[0]);
        assertEquals(List.of(), EdkVariableStore.parse(e.array()).variables());
        // no StartId: the walk stops
        ByteBuffer f = volume(true, 0x1000, 0x2000);
        variable(f, true, start, 0x3f, IMAGE, "db", new byte[1]);
        f.putShort(start, (short) 0x55ab);
        assertEquals(List.of(), EdkVariableStore.parse(f.array()).variables());
    }

    @Test
    void notAVolume() {
        assertFalse(EdkVariableStore.looksLikeFirmwareVolume(new byte[43]));
        assertTrue(EdkVariableStore.looksLikeFirmwareVolume(volume(true, 0, 0x100).array()));
        assertTrue(assertThrows(FormatException.class, () -> EdkVariableStore.parse(new byte[0x100])).getMessage()
                .contains("no firmware volume signature \"_FVH\" at offset 0x28"));
    }
}
