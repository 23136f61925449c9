package dev.efiemu.session;

import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.uki.OsRelease;
import dev.efiemu.loader.uki.UkiSections;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The boot entries of an ESP as systemd-boot sees them (Boot Loader Specification; systemd-boot
 * 252 {@code src/boot/efi/boot.c}), so {@code efiemu kexec} without a payload boots what the boot
 * menu would have booted by default:
 * <ul>
 *   <li>Type #1: {@code loader/entries/*.conf} with {@code linux}, {@code initrd} (repeatable),
 *       {@code options} (repeatable, joined with spaces) or {@code efi}, plus {@code title},
 *       {@code version}, {@code sort-key}, {@code machine-id}; the entry's id is the file name.
 *   <li>Type #2: unified kernel images {@code EFI/Linux/*.efi}; sort key and version from the
 *       image's {@code .osrel} ({@code IMAGE_ID}/{@code ID}, {@code IMAGE_VERSION}/{@code VERSION_ID}).
 *   <li>Order: entries with a sort key first, by sort key, machine id, then version (newest
 *       first); then by id, newest version first. Ids compare case-insensitively.
 *   <li>Default: the first entry whose id matches {@code default} in {@code loader/loader.conf}
 *       (a glob), else the first entry.
 * </ul>
 */
public final class BootEntries {
    /** One bootable entry. Paths are files inside the ESP; {@code program} is what is run. */
    public record Entry(String id, String title, String sortKey, String machineId, String version, Path program,
                        List<Path> initrds, String options, boolean uki) {}

    private final Path esp;
    private final List<Entry> entries;
    private final String defaultPattern;

    private BootEntries(Path esp, List<Entry> entries, String defaultPattern) {
        this.esp = esp;
        this.entries = entries;
        this.defaultPattern = defaultPattern;
    }

    /**
     * Reads the entries of {@code esp}.
     *
     * @throws BootError when an entry names a file the ESP does not have, or is malformed
     */
    public static BootEntries read(Path esp) {
        if (!Files.isDirectory(esp)) throw new BootError("--esp " + esp + ": not a directory");
        List<Entry> out = new ArrayList<>();
        Path dir = esp.resolve("loader/entries");
        if (Files.isDirectory(dir)) {
            for (Path conf : list(dir, ".conf")) out.add(typeOne(esp, conf));
        }
        Path linux = esp.resolve("EFI/Linux");
        if (Files.isDirectory(linux)) {
            for (Path uki : list(linux, ".efi")) out.add(typeTwo(esp, uki));
        }
        out.sort(ORDER);
        String pattern = null;
        Path loaderConf = esp.resolve("loader/loader.conf");
        if (Files.isRegularFile(loaderConf)) {
            for (String[] kv : keyValues(loaderConf)) {
                if (kv[0].equals("default")) pattern = kv[1];
            }
        }
        return new BootEntries(esp, List.copyOf(out), pattern);
    }

    public List<Entry> entries() {
        return entries;
    }

    /**
     * The entry systemd-boot would boot by default.
     *
     * @throws BootError when the ESP has no entries
     */
    public Entry defaultEntry() {
        if (entries.isEmpty()) {
            throw new BootError("--esp " + esp + ": no boot entries (no loader/entries/*.conf, no EFI/Linux/*.efi)");
        }
        if (defaultPattern != null) {
            var glob = FileSystems.getDefault().getPathMatcher("glob:" + defaultPattern.toLowerCase(Locale.ROOT));
            for (Entry e : entries) {
                if (glob.matches(Path.of(e.id()))) return e;
            }
        }
        return entries.get(0);
    }

    /**
     * The entry with this id (case-insensitive; a Type #1 id may be given without ".conf").
     *
     * @throws BootError naming the ids there are, when none matches
     */
    public Entry find(String id) {
        String want = id.toLowerCase(Locale.ROOT);
        for (Entry e : entries) {
            if (e.id().equals(want) || e.id().equals(want + ".conf")) return e;
        }
        throw new BootError("--entry " + id + ": no such entry in " + esp + " (entries: "
                + (entries.isEmpty() ? "none" : String.join(", ", entries.stream().map(Entry::id).toList())) + ")");
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(suffix) && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new BootError(dir + ": " + e.getMessage());
        }
    }

    private static List<String[]> keyValues(Path file) {
        List<String[]> out = new ArrayList<>();
        try {
            for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = 0;
                while (sp < line.length() && !Character.isWhitespace(line.charAt(sp))) sp++;
                out.add(new String[] {line.substring(0, sp), line.substring(sp).strip()});
            }
        } catch (IOException e) {
            throw new BootError(file + ": " + e.getMessage());
        }
        return out;
    }

    private static Entry typeOne(Path esp, Path conf) {
        String id = conf.getFileName().toString().toLowerCase(Locale.ROOT);
        String title = null, sortKey = null, machineId = null, version = null;
        Path linux = null, efi = null;
        List<Path> initrds = new ArrayList<>();
        List<String> options = new ArrayList<>();
        for (String[] kv : keyValues(conf)) {
            switch (kv[0]) {
                case "title" -> title = kv[1];
                case "sort-key" -> sortKey = kv[1];
                case "machine-id" -> machineId = kv[1];
                case "version" -> version = kv[1];
                case "linux" -> linux = inEsp(esp, conf, kv[1]);
                case "efi" -> efi = inEsp(esp, conf, kv[1]);
                case "initrd" -> initrds.add(inEsp(esp, conf, kv[1]));
                case "options" -> options.add(kv[1]);
                default -> { }
            }
        }
        Path program = linux != null ? linux : efi;
        if (program == null) throw new BootError(conf + ": the entry has neither 'linux' nor 'efi'");
        return new Entry(id, title != null ? title : id, sortKey, machineId, version, program, List.copyOf(initrds),
                options.isEmpty() ? null : String.join(" ", options), false);
    }

    /** An ESP path from an entry ("/vmlinuz-6.1", "\EFI\debian\vmlinuz"): must exist inside the ESP. */
    private static Path inEsp(Path esp, Path conf, String value) {
        String rel = value.replace('\\', '/');
        while (rel.startsWith("/")) rel = rel.substring(1);
        Path p = esp.resolve(rel).normalize();
        if (!p.startsWith(esp.normalize())) throw new BootError(conf + ": " + value + " points outside the ESP");
        if (!Files.isRegularFile(p)) throw new BootError(conf + ": " + value + " names a file the ESP does not have (" + p + ")");
        return p;
    }

    private static Entry typeTwo(Path esp, Path uki) {
        String id = uki.getFileName().toString().toLowerCase(Locale.ROOT);
        String sortKey = null, version = null, title = id;
        try {
            var sections = UkiSections.of(PeImage.parse(Files.readAllBytes(uki), uki.toString()));
            var osrel = sections.content(".osrel");
            if (osrel.isPresent()) {
                Map<String, String> os = OsRelease.parse(new String(osrel.get(), StandardCharsets.UTF_8));
                sortKey = first(os.get("IMAGE_ID"), os.get("ID"));
                version = first(os.get("IMAGE_VERSION"), os.get("VERSION_ID"));
                title = first(os.get("PRETTY_NAME"), os.get("NAME"), id);
            }
        } catch (IOException | RuntimeException e) {
            throw new BootError(uki + ": not a unified kernel image (" + e.getMessage() + ")");
        }
        return new Entry(id, title, sortKey, null, version, uki, List.of(), null, true);
    }

    private static String first(String... v) {
        for (String s : v) if (s != null && !s.isBlank()) return s;
        return null;
    }

    static final Comparator<Entry> ORDER = (a, b) -> {
        int r = Boolean.compare(a.sortKey() == null, b.sortKey() == null);
        if (r != 0) return r;
        if (a.sortKey() != null) {
            r = a.sortKey().compareTo(b.sortKey());
            if (r != 0) return r;
            r = String.valueOf(a.machineId()).compareTo(String.valueOf(b.machineId()));
            if (r != 0) return r;
            r = -versionCompare(a.version(), b.version());
            if (r != 0) return r;
        }
        return -versionCompare(a.id(), b.id());
    };

    /**
     * Version-aware comparison like systemd's strverscmp_improved for what entry ids and versions
     * hold: runs of digits compare as numbers, other characters as characters; null sorts first.
     */
    static int versionCompare(String a, String b) {
        if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i), y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int si = i, sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) i++;
                while (j < b.length() && Character.isDigit(b.charAt(j))) j++;
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", ""), nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                if (na.length() != nb.length()) return Integer.compare(na.length(), nb.length());
                int c = na.compareTo(nb);
                if (c != 0) return c;
            } else {
                if (x != y) return Character.compare(x, y);
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
