package dev.efiemu.loader.uki;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * os-release(5) text: newline-separated KEY=VALUE assignments, values optionally in single or
 * double quotes with shell-style backslash escapes inside double quotes; '#' starts a comment.
 */
public final class OsRelease {
    private OsRelease() {}

    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int eq = line.indexOf('=');
            if (eq <= 0) continue;
            String key = line.substring(0, eq).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            out.put(key, unquote(line.substring(eq + 1).strip()));
        }
        return Collections.unmodifiableMap(out);
    }

    static String unquote(String v) {
        StringBuilder s = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (quote == 0 && (c == '"' || c == '\'')) quote = c;
            else if (c == quote) quote = 0;
            else if (c == '\\' && quote != '\'' && i + 1 < v.length()) s.append(v.charAt(++i));
            else s.append(c);
        }
        return s.toString();
    }
}
