package dev.efiemu.loader.inspect;

import static dev.efiemu.loader.testing.RealFixtures.fx;
import static dev.efiemu.loader.testing.RealFixtures.read;
import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.json.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Acceptance 5: the inspect report on the test UKIs (what `efiemu inspect --json` prints). */
class InspectorFixtureTest {
    @Test
    @SuppressWarnings("unchecked")
    void ukiReportListsSectionsAndSetupHeader() {
        Fixtures f = fx();
        Map<String, Object> r = Inspector.inspect(read(f.uki()), f.uki().toString(), TrustStore.empty());
        assertEquals("UKI", r.get("format"));
        Map<String, Object> uki = (Map<String, Object>) r.get("uki");
        List<String> names = ((List<Map<String, Object>>) uki.get("sections")).stream().map(m -> (String) m.get("name")).toList();
        assertTrue(names.containsAll(List.of(".linux", ".osrel", ".cmdline", ".initrd")), names.toString());
        assertEquals(Fixtures.UKI_CMDLINE, uki.get("cmdline"));
        List<Map<String, Object>> layers = (List<Map<String, Object>>) r.get("layers");
        assertEquals("section .linux", layers.get(1).get("layer"));
        assertEquals("x86 bzImage", layers.get(1).get("format"));
        Map<String, Object> setup = (Map<String, Object>) layers.get(1).get("setupHeader");
        assertTrue(((String) setup.get("protocol")).startsWith("2."));
        assertTrue(setup.containsKey("handoverOffset") && setup.containsKey("xloadFlags") && setup.containsKey("initSize"));
        String json = Json.write(r);
        assertTrue(json.contains("\"setupHeader\"") && json.contains("\"name\": \".linux\""));
        Map<String, Object> verdict = (Map<String, Object>) ((Map<String, Object>) r.get("authenticode")).get("verdict");
        assertEquals("UNSIGNED", verdict.get("status"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void signedUkiIsTrustedWithSnakeoilDb() {
        Fixtures f = fx();
        TrustStore db = TrustStore.builder().addDbFile(f.snakeoilCert()).build();
        Map<String, Object> r = Inspector.inspect(read(f.signedUki()), f.signedUki().toString(), db);
        Map<String, Object> verdict = (Map<String, Object>) ((Map<String, Object>) r.get("authenticode")).get("verdict");
        assertEquals("TRUSTED", verdict.get("status"));
        assertEquals(true, verdict.get("trusted"));
        assertTrue(Json.write(r).contains("\"status\": \"TRUSTED\""));
    }

    /** The real zboot kernels of both generations show their layers: zboot, then the arm64 Image it carries. */
    @Test
    @SuppressWarnings("unchecked")
    void zbootChainReachesArm64Image() {
        Fixtures f = fx();
        for (String series : List.of("6.1", "6.12")) {
            for (String c : List.of("gzip", "zstd")) {
                java.nio.file.Path z = f.zboot(series, c);
                Map<String, Object> r = Inspector.inspect(read(z), z.toString(), TrustStore.empty());
                List<Map<String, Object>> layers = (List<Map<String, Object>>) r.get("layers");
                assertEquals("EFI zboot", layers.get(0).get("format"), z + ": " + layers);
                assertEquals(series.equals("6.1") && c.equals("zstd") ? "zstd22" : c, layers.get(0).get("compression"), z.toString());
                assertEquals("arm64 Image", layers.get(1).get("format"), z + ": " + layers);
            }
        }
    }
}
