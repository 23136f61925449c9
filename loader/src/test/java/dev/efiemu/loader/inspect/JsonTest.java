package dev.efiemu.loader.inspect;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n\u0001");
        m.put("n", 5);
        m.put("h", new Hex(0x20b));
        m.put("b", true);
        m.put("z", null);
        m.put("l", List.of(1, "x"));
        m.put("e", Map.of());
        assertEquals("{\n  \"s\": \"a\\\"b\\\\c\\n\\u0001\",\n  \"n\": 5,\n  \"h\": 523,\n  \"b\": true,\n  \"z\": null,\n"
                + "  \"l\": [\n    1,\n    \"x\"\n  ],\n  \"e\": {}\n}\n", Json.write(m));
    }
}
