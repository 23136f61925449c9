package dev.efiemu.session;

import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.loader.Guid;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * efiemu's own variable store file (--vars on a file that is not an OVMF store): one variable per
 * line, "vendor-guid TAB name TAB attributes(hex) TAB data(hex)". Loaded before the run; the
 * non-volatile variables are written back after it, atomically.
 */
public final class VariableFile {
    public static final String HEADER = "# efiemu variable store v1";

    private VariableFile() {}

    static void load(Path p, VariableStore store) throws IOException {
        if (!Files.exists(p)) return;
        int n = 0;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 4) throw new IllegalArgumentException("expected 4 tab-separated fields");
                store.put(f[1], Guid.parse(f[0]), Integer.parseUnsignedInt(f[2], 16), HexFormat.of().parseHex(f[3]));
            } catch (IllegalArgumentException e) {
                throw new BootError("--vars " + p + " line " + n + ": " + e.getMessage());
            }
        }
    }

    static void save(Path p, VariableStore store) throws IOException {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (VariableStore.Key k : store.keys()) {
            VariableStore.Variable v = store.get(k.name(), k.vendor());
            if ((v.attributes() & VariableStore.NON_VOLATILE) == 0) continue;
            b.append(k.vendor()).append('\t').append(k.name()).append('\t').append(Integer.toHexString(v.attributes()))
                    .append('\t').append(HexFormat.of().formatHex(v.data())).append('\n');
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(p, o -> o.write(bytes));
    }
}
