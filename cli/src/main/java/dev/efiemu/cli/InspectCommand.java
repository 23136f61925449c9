package dev.efiemu.cli;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.inspect.Inspector;
import dev.efiemu.loader.json.Hex;
import dev.efiemu.loader.json.Json;
import dev.efiemu.loader.pe.PeImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code efiemu inspect FILE}: PE headers, sections, UKI section map, nested layers (UKI →
 * .linux → bzImage / zboot → payload) and the Authenticode verdict against the given db/dbx.
 */
@Command(name = "inspect", description = "Show a payload's PE headers, sections, UKI layers and Authenticode signatures.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "PE/EFI image, UKI, zboot or kernel image")
    Path file;

    @Option(names = "--json", description = "Write the report as JSON.")
    boolean json;

    @Option(names = "--db", paramLabel = "CERT|ESL|VARS", description = "Trusted certificates: PEM/DER, EFI_SIGNATURE_LIST or OVMF VARS file (repeatable).")
    List<Path> db = new ArrayList<>();

    @Option(names = "--dbx", paramLabel = "CERT|ESL|VARS", description = "Forbidden certificates or hashes (repeatable).")
    List<Path> dbx = new ArrayList<>();

    @Option(names = "--vars", paramLabel = "OVMF_VARS.fd", description = "Use db, dbx, KEK and PK from an OVMF variable store.")
    List<Path> vars = new ArrayList<>();

    @Option(names = "--vendor-cert", paramLabel = "SHIM", description = "Trust the vendor certificate built into a shim binary (.vendor_cert).")
    List<Path> vendorCert = new ArrayList<>();

    @Override
    public Integer call() {
        Map<String, Object> report;
        try {
            TrustStore.Builder b = TrustStore.builder();
            db.forEach(b::addDbFile);
            dbx.forEach(b::addDbxFile);
            vars.forEach(b::addVarsFile);
            vendorCert.forEach(b::addShimVendorCert);
            TrustStore store = b.build();
            long limit = Math.min(PeImage.MAX_FILE_SIZE, Runtime.getRuntime().maxMemory() / 4);
            byte[] bytes = PeImage.readFile(file, limit);
            try {
                report = Inspector.inspect(bytes, file.toString(), store);
            } catch (FormatException e) {
                throw e.withSource(file.toString());
            }
        } catch (OutOfMemoryError e) {
            throw new FormatException(file + ": out of memory while inspecting (raise -Xmx via EFIEMU_JAVA_OPTS)");
        }
        PrintStream out = System.out;
        if (json) out.print(Json.write(report));
        else new TextReport(out).print(report);
        out.flush();
        String layerError = Inspector.firstLayerError(report);
        if (layerError != null) {
            System.err.println("efiemu: " + file + ": " + layerError);
            return 1;
        }
        return 0;
    }

    /** Human-readable rendering of the report tree. */
    static final class TextReport {
        private final PrintStream out;

        TextReport(PrintStream out) {
            this.out = out;
        }

        @SuppressWarnings("unchecked")
        void print(Map<String, Object> r) {
            out.printf("%s: %s, %s bytes%n", r.get("file"), r.get("format"), r.get("size"));
            if (r.get("peError") != null) out.println("  PE header: " + r.get("peError"));
            if (r.get("pe") instanceof Map<?, ?> pe) {
                out.println("\nPE32+ header");
                map((Map<String, Object>) pe, 1);
            }
            if (r.get("sections") instanceof List<?> secs) {
                out.println("\nSections");
                table((List<Object>) secs, 1);
            }
            if (r.get("uki") instanceof Map<?, ?> uki) {
                out.println("\nUKI sections");
                Map<String, Object> u = (Map<String, Object>) uki;
                table((List<Object>) u.get("sections"), 1);
                for (Map.Entry<String, Object> e : u.entrySet()) {
                    if (!e.getKey().equals("sections")) entry(e.getKey(), e.getValue(), 1);
                }
            }
            if (r.get("layers") instanceof List<?> layers) {
                out.println("\nLayers");
                int depth = 1;
                for (Object o : layers) {
                    Map<String, Object> l = (Map<String, Object>) o;
                    out.printf("%s%s: %s, %s bytes%n", "  ".repeat(depth), l.get("layer"), l.get("format"), l.get("size"));
                    for (Map.Entry<String, Object> e : l.entrySet()) {
                        if (!List.of("layer", "format", "size").contains(e.getKey())) entry(e.getKey(), e.getValue(), depth + 1);
                    }
                    depth++;
                }
            }
            if (r.get("authenticode") instanceof Map<?, ?> a) {
                out.println("\nAuthenticode");
                Map<String, Object> auth = (Map<String, Object>) a;
                entry("sha256", auth.get("sha256"), 1);
                entry("sha1", auth.get("sha1"), 1);
                for (Object o : (List<Object>) auth.get("signatures")) {
                    Map<String, Object> s = (Map<String, Object>) o;
                    out.printf("  signature %s (%s at %s):%n", s.get("index"), s.get("type"), s.get("offset"));
                    for (Map.Entry<String, Object> e : s.entrySet()) {
                        if (!List.of("index", "type", "offset").contains(e.getKey()) && e.getValue() != null) entry(e.getKey(), e.getValue(), 3);
                    }
                }
                if (auth.get("notes") != null) entry("notes", auth.get("notes"), 1);
                Map<String, Object> v = (Map<String, Object>) auth.get("verdict");
                out.printf("%nVerdict: %s: %s%n", v.get("status"), v.get("reason"));
            }
        }

        @SuppressWarnings("unchecked")
        private void entry(String key, Object v, int indent) {
            String pad = "  ".repeat(indent);
            if (v instanceof Map<?, ?> m) {
                out.println(pad + key + ":");
                map((Map<String, Object>) m, indent + 1);
            } else if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map) {
                out.println(pad + key + ":");
                table((List<Object>) l, indent + 1);
            } else if (v instanceof List<?> l) {
                if (l.isEmpty()) out.println(pad + key + ": (none)");
                else {
                    out.println(pad + key + ":");
                    for (Object o : l) out.println(pad + "  - " + o);
                }
            } else {
                out.println(pad + key + ": " + v);
            }
        }

        private void map(Map<String, Object> m, int indent) {
            for (Map.Entry<String, Object> e : m.entrySet()) entry(e.getKey(), e.getValue(), indent);
        }

        @SuppressWarnings("unchecked")
        private void table(List<Object> rows, int indent) {
            if (rows.isEmpty()) {
                out.println("  ".repeat(indent) + "(none)");
                return;
            }
            List<String> cols = new ArrayList<>(((Map<String, Object>) rows.get(0)).keySet());
            int[] w = new int[cols.size()];
            for (int i = 0; i < cols.size(); i++) w[i] = cols.get(i).length();
            for (Object o : rows) {
                Map<String, Object> row = (Map<String, Object>) o;
                for (int i = 0; i < cols.size(); i++) w[i] = Math.max(w[i], cell(row.get(cols.get(i))).length());
            }
            StringBuilder h = new StringBuilder("  ".repeat(indent));
            for (int i = 0; i < cols.size(); i++) h.append(String.format("%-" + (w[i] + 2) + "s", cols.get(i)));
            out.println(h.toString().stripTrailing());
            for (Object o : rows) {
                Map<String, Object> row = (Map<String, Object>) o;
                StringBuilder s = new StringBuilder("  ".repeat(indent));
                for (int i = 0; i < cols.size(); i++) s.append(String.format("%-" + (w[i] + 2) + "s", cell(row.get(cols.get(i)))));
                out.println(s.toString().stripTrailing());
            }
        }

        private static String cell(Object o) {
            return o instanceof Hex h ? h.toString() : String.valueOf(o);
        }
    }
}
