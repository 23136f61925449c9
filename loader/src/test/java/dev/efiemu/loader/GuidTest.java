package dev.efiemu.loader;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class GuidTest {
    static final String GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

    @Test
    void textAndMemoryForms() {
        Guid g = Guid.parse(GLOBAL.toUpperCase());
        assertEquals(GLOBAL, g.toString());
        byte[] b = g.toBytes();
        assertEquals(0x61, b[0] & 0xff); // Data1 little-endian
        assertEquals(0xca, b[4] & 0xff); // Data2 little-endian
        assertEquals(0xd2, b[6] & 0xff); // Data3 little-endian
        assertEquals(0xaa, b[8] & 0xff); // Data4 as stored
        byte[] at3 = new byte[20];
        System.arraycopy(b, 0, at3, 3, 16);
        assertEquals(g, Guid.fromBytes(at3, 3));
    }

    @Test
    void rejectsShortInput() {
        assertThrows(IllegalArgumentException.class, () -> Guid.parse("8be4df61-93ca-11d2"));
        assertThrows(FormatException.class, () -> Guid.fromBytes(new byte[20], 5));
    }

    @Test
    void nameBasedMatchesUuid() {
        byte[] name = "efiemu-esp:/srv/esp".getBytes(StandardCharsets.UTF_8);
        assertEquals(UUID.nameUUIDFromBytes(name).toString(), Guid.nameBased(name).toString());
    }
}
