package dev.efiemu.loader.json;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
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

    @Test
    void writesOneLine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", 7);
        m.put("args", List.of("0x1", "0x2"));
        m.put("none", List.of());
        m.put("inner", Map.of("k", false));
        assertEquals("{\"seq\":7,\"args\":[\"0x1\",\"0x2\"],\"none\":[],\"inner\":{\"k\":false}}", Json.line(m));
        assertEquals("[]", Json.line(new ArrayList<>()));
        assertEquals("\"x\"", Json.line("x"));
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"say \\\"hi\\\"\"", Json.quote("say \"hi\""));
        assertEquals("\"C:\\\\EFI\\\\x.efi\"", Json.quote("C:\\EFI\\x.efi"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", Json.quote("\b\f\n\r\t"));
        assertEquals("\"\\u0000\\u0007\\u001b\\u001f\"", Json.quote("\u0000\u0007\u001b\u001f"));
        assertEquals("\" ~\u007f\"", Json.quote(" ~\u007f"), "space, tilde and DEL need no escape");
        assertEquals("\"/\"", Json.quote("/"));
    }

    @Test
    void keepsNonAsciiAndEscapesWhatJavaScriptOrUtf8CannotTake() {
        assertEquals("\"é中€\"", Json.quote("é中€"));
        assertEquals("\"\uD83D\uDE00\"", Json.quote("\uD83D\uDE00"), "a surrogate pair stays one character");
        assertEquals("\"\\ud83d!\\ude00\"", Json.quote("\uD83D!\uDE00"), "unpaired surrogates have no UTF-8 form");
        assertEquals("\"\\u2028\\u2029\"", Json.quote("\u2028\u2029"));
    }

    @Test
    void numbers() {
        assertEquals("18446744073709551615", Json.line(new Hex(-1)));
        assertEquals("[1.5,null,null,-3]", Json.line(Arrays.asList(1.5, Double.NaN, Float.POSITIVE_INFINITY, -3L)));
    }

    @Test
    void keysAreStrings() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put(11, "a\"b");
        assertEquals("{\"11\":\"a\\\"b\"}", Json.line(m));
    }
}
