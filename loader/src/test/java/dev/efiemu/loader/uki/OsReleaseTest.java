package dev.efiemu.loader.uki;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OsReleaseTest {
    @Test
    void parsesQuotesEscapesAndComments() {
        Map<String, String> m = OsRelease.parse("# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION='12 (bookworm)'\nX=\"a \\\"b\\\"\"\nbad line\n\n");
        assertEquals("Debian GNU/Linux", m.get("NAME"));
        assertEquals("debian", m.get("ID"));
        assertEquals("12 (bookworm)", m.get("VERSION"));
        assertEquals("a \"b\"", m.get("X"));
        assertEquals(4, m.size());
    }
}
