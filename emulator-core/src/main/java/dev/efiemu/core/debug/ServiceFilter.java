package dev.efiemu.core.debug;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Selects firmware services by name, as users write them on the command line ({@code
 * --trace=LoadImage,StartImage,ConOut}) and in gdb ({@code monitor break-service LoadImage}).
 *
 * <p>Service names are "group.member": {@code BS.LoadImage}, {@code RT.GetVariable},
 * {@code ConOut.OutputString}. A pattern with a dot must match the whole name; one without matches
 * either part, so {@code LoadImage} selects {@code BS.LoadImage} and {@code ConOut} (or {@code BS})
 * a whole protocol (or table). {@code *} is a wildcard; matching ignores case.
 */
public final class ServiceFilter implements Predicate<String> {
    private final List<String> patterns;

    private ServiceFilter(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** Comma- or space-separated patterns; an empty or "*" list selects everything. */
    public static ServiceFilter parse(String list) {
        List<String> p = new ArrayList<>();
        if (list != null) {
            for (String s : list.split("[,\\s]+")) {
                if (!s.isBlank()) p.add(s.strip());
            }
        }
        return new ServiceFilter(p);
    }

    public static ServiceFilter of(List<String> patterns) {
        return new ServiceFilter(patterns);
    }

    public List<String> patterns() {
        return patterns;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** True when {@code service} is selected; an empty filter selects every service. */
    @Override
    public boolean test(String service) {
        if (patterns.isEmpty()) return true;
        for (String p : patterns) {
            if (matches(p, service)) return true;
        }
        return false;
    }

    /** Whether one pattern selects {@code service} (see the class comment). */
    public static boolean matches(String pattern, String service) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String s = service.toLowerCase(Locale.ROOT);
        if (p.equals("*")) return true;
        if (p.indexOf('.') >= 0) return glob(p, s);
        int dot = s.indexOf('.');
        if (dot < 0) return glob(p, s);
        return glob(p, s.substring(0, dot)) || glob(p, s.substring(dot + 1));
    }

    private static boolean glob(String p, String s) {
        if (p.indexOf('*') < 0) return p.equals(s);
        StringBuilder re = new StringBuilder();
        for (char c : p.toCharArray()) {
            if (c == '*') re.append(".*");
            else re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
        }
        return s.matches(re.toString());
    }

    @Override
    public String toString() {
        return patterns.isEmpty() ? "*" : String.join(",", patterns);
    }
}
