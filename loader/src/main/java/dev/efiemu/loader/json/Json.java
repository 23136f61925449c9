package dev.efiemu.loader.json;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The one JSON writer (RFC 8259) for efiemu's reports and traces. Values are trees of Map (written
 * in iteration order; keys by {@code String.valueOf}), List, String, Number, Boolean, {@link Hex}
 * and null; anything else is written as its {@code toString()}. Non-finite numbers become null.
 * Strings keep non-ASCII characters as they are (the output is meant to be UTF-8) and escape
 * quotes, backslashes, control characters, U+2028/U+2029 and unpaired surrogates.
 */
public final class Json {
    private Json() {}

    /** Indented by two spaces per level, ending with a newline: for files and reports people read. */
    public static String write(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, 0);
        return s.append('\n').toString();
    }

    /** On one line without spaces or a final newline: one record per line (JSON Lines). */
    public static String line(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, -1);
        return s.toString();
    }

    /** {@code indent} < 0: compact. */
    private static void write(StringBuilder s, Object v, int indent) {
        int inner = indent < 0 ? -1 : indent + 1;
        if (v == null) s.append("null");
        else if (v instanceof String str) string(s, str);
        else if (v instanceof Hex h) s.append(Long.toUnsignedString(h.value()));
        else if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) s.append("null");
        else if (v instanceof Number || v instanceof Boolean) s.append(v);
        else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                s.append("{}");
                return;
            }
            s.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(s, inner);
                string(s, String.valueOf(e.getKey()));
                s.append(indent < 0 ? ":" : ": ");
                write(s, e.getValue(), inner);
                if (it.hasNext()) s.append(',');
            }
            newline(s, indent);
            s.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                s.append("[]");
                return;
            }
            s.append('[');
            for (int i = 0; i < l.size(); i++) {
                newline(s, inner);
                write(s, l.get(i), inner);
                if (i + 1 < l.size()) s.append(',');
            }
            newline(s, indent);
            s.append(']');
        } else string(s, v.toString());
    }

    private static void newline(StringBuilder s, int indent) {
        if (indent < 0) return;
        s.append('\n').append("  ".repeat(indent));
    }

    /** {@code str} as a JSON string literal, quotes included. */
    public static String quote(String str) {
        StringBuilder s = new StringBuilder(str.length() + 2);
        string(s, str);
        return s.toString();
    }

    private static void string(StringBuilder s, String str) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                default -> {
                    boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < str.length() && Character.isLowSurrogate(str.charAt(i + 1));
                    if (pairedHigh) {
                        s.append(c).append(str.charAt(++i));
                    } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
