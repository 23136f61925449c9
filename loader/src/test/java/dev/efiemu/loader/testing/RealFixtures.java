package dev.efiemu.loader.testing;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.loader.auth.ShimVendorCert;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.pe.PeImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Access to the fetched payloads; fails (never skips) when `./efiemu fixtures fetch` has not run. */
public final class RealFixtures {
    private RealFixtures() {}

    public static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    public static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("fixture missing: " + p + " (run ./efiemu fixtures fetch)", e);
        }
    }

    /** The Debian CA that signed shim's .vendor_cert, as a certificate. */
    public static X509Certificate debianCa() {
        ShimVendorCert v = ShimVendorCert.parse(PeImage.parse(read(fx().shim())));
        return TrustStore.certificate(v.authorized());
    }

    public static Path writePem(X509Certificate c, Path file) throws Exception {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded());
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n");
        return file;
    }

    /** Each db certificate of a trust store written as its own PEM file (sbverify takes one --cert). */
    public static List<Path> dbPems(TrustStore ts, Path dir) throws Exception {
        List<Path> out = new ArrayList<>();
        int i = 0;
        for (TrustStore.Cert c : ts.allowedCerts()) out.add(writePem(c.cert(), dir.resolve("db-" + i++ + ".pem")));
        return out;
    }
}
