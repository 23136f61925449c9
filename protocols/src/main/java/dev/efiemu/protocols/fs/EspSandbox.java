package dev.efiemu.protocols.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Maps FAT-style paths ("\EFI\Linux\x.efi", case-insensitive, "." and "..") onto a host directory
 * without ever leaving it: ".." stops at the root as on FAT, absolute host paths are just names,
 * and a symlink whose target lies outside the ESP is treated as absent.
 */
public final class EspSandbox {
    private final Path root;
    private final Path realRoot;
    private final boolean writable;
    /** Files shown in the ESP without being in its directory (a payload given from elsewhere): always read-only. */
    private final java.util.Map<String, Path> overlay = new java.util.HashMap<>();
    /** The same files by the ESP directory that shows them: directory key -> (name as given -> host file). */
    private final java.util.Map<String, java.util.Map<String, Path>> overlayByDir = new java.util.HashMap<>();

    public EspSandbox(Path root, boolean writable) throws IOException {
        if (!Files.isDirectory(root)) throw new IOException(root + " is not a directory");
        this.root = root.toAbsolutePath().normalize();
        this.realRoot = root.toRealPath();
        this.writable = writable;
    }

    /** Shows {@code hostFile} at {@code espPath} ("\\EFI\\Linux\\x.efi"), read-only. */
    public void overlay(String espPath, Path hostFile) {
        List<String> names = components(List.of(), espPath);
        if (names.isEmpty()) throw new IllegalArgumentException("overlay path names no file: " + espPath);
        Path host = hostFile.toAbsolutePath().normalize();
        overlay.put(key(names), host);
        overlayByDir.computeIfAbsent(key(names.subList(0, names.size() - 1)), k -> new java.util.TreeMap<>())
                .put(names.get(names.size() - 1), host);
    }

    /** True for a file shown through {@link #overlay}: the user's own file, never written, truncated or deleted. */
    public boolean isOverlay(Path p) {
        return p != null && overlay.containsValue(p.toAbsolutePath().normalize());
    }

    /** True when {@code names} is where an overlay file is shown. */
    public boolean isOverlay(List<String> names) {
        return overlay.containsKey(key(names));
    }

    /** The overlay files shown in the ESP directory {@code dir} (names from the root): name -> host file. */
    public java.util.Map<String, Path> overlaysIn(List<String> dir) {
        return overlayByDir.getOrDefault(key(dir), java.util.Map.of());
    }

    private static String key(List<String> names) {
        return String.join("\\", names).toLowerCase(Locale.ROOT);
    }

    /** The ESP path of a host file inside the ESP directory ("\\EFI\\x.efi"), or null if it is outside. */
    public String espPathOf(Path hostFile) {
        Path p = hostFile.toAbsolutePath().normalize();
        if (!p.startsWith(root) || p.equals(root)) return null;
        StringBuilder b = new StringBuilder();
        for (Path part : root.relativize(p)) b.append('\\').append(part);
        return b.toString();
    }

    public Path root() {
        return root;
    }

    public boolean writable() {
        return writable;
    }

    /** Splits a UEFI path into components relative to {@code base} (a list of names from the root). */
    public static List<String> components(List<String> base, String path) {
        List<String> out = new ArrayList<>();
        String p = path.replace('/', '\\');
        if (!p.startsWith("\\")) out.addAll(base);
        for (String c : p.split("\\\\")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!out.isEmpty()) out.remove(out.size() - 1);
                continue;
            }
            out.add(c);
        }
        return out;
    }

    /**
     * The host path for {@code names}, matching each name case-insensitively; for a name that does
     * not exist, the name as given (so it can be created). Null if it would leave the ESP.
     */
    public Path resolve(List<String> names) {
        Path shown = overlay.get(key(names));
        if (shown != null) return shown;
        Path at = root;
        for (String n : names) {
            if (n.contains("\0") || n.contains("/")) return null;
            Path next = findCaseInsensitive(at, n);
            at = next != null ? next : at.resolve(n);
            if (!inside(at)) return null;
        }
        return at;
    }

    private Path findCaseInsensitive(Path dir, String name) {
        Path exact = dir.resolve(name);
        if (Files.exists(exact, LinkOption.NOFOLLOW_LINKS)) return exact;
        if (!Files.isDirectory(dir)) return null;
        String want = name.toLowerCase(Locale.ROOT);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).equals(want)).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** True when {@code p}, with every symlink on the way resolved, is inside the ESP. */
    public boolean inside(Path p) {
        Path norm = p.toAbsolutePath().normalize();
        if (overlay.containsValue(norm)) return true;
        if (!norm.startsWith(root)) return false;
        try {
            if (Files.exists(norm)) return norm.toRealPath().startsWith(realRoot);
            // not there yet: its parent decides
            Path parent = norm.getParent();
            return parent != null && (parent.equals(root) || (Files.exists(parent) && parent.toRealPath().startsWith(realRoot)));
        } catch (IOException e) {
            return false;
        }
    }
}
