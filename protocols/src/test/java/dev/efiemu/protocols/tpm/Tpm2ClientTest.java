package dev.efiemu.protocols.tpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Swtpm;
import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TPM 2.0 client against a real software TPM, checked with tpm2-tools; and the same arithmetic as the virtual TPM. */
class Tpm2ClientTest {
    @Test
    void extendsAndReadsLikeTpm2Tools() {
        try (Swtpm sw = Swtpm.start()) {
            String hex;
            try (Tpm2Client tpm = new Tpm2Client(TpmTransport.swtpm("127.0.0.1", sw.port()))) {
            assertTrue(tpm.banks().contains(Bank.SHA256), tpm.describe());
            assertTrue(tpm.fresh(), "a new swtpm has PCRs 0-7 at zero");
            VirtualTpm twin = new VirtualTpm(tpm.banks());
            for (int i = 0; i < 3; i++) {
                Map<Bank, byte[]> d = new LinkedHashMap<>();
                for (Bank b : tpm.banks()) d.put(b, b.hash(("event " + i).getBytes()));
                tpm.extend(11, d);
                twin.extend(11, d);
            }
            for (Bank b : tpm.banks()) assertArrayEquals(twin.pcr(b, 11), tpm.pcr(b, 11), b.name());
            hex = HexFormat.of().formatHex(tpm.pcr(Bank.SHA256, 11)).toUpperCase();
            // SubmitCommand's path: a raw TPM2_GetRandom(8) round trip
            byte[] r = tpm.submit(HexFormat.of().parseHex("80010000000c0000017b0008"));
            assertEquals(0, Tpm2Client.rc(r));
            assertEquals(10 + 2 + 8, r.length);
            }
            // swtpm serves one client at a time: tpm2-tools reads once efiemu's connection is closed
            String read = sw.pcrread("sha256:11");
            assertTrue(read.toUpperCase().contains("0X" + hex), read + " vs " + hex);
        }
    }

    @Test
    void refusesWhatIsNotATpm() throws Exception {
        var e = assertThrows(TpmException.class, () -> TpmTransport.swtpm("127.0.0.1", 1));
        assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        try (java.net.ServerSocket echo = new java.net.ServerSocket(0)) {
            Thread t = new Thread(() -> {
                try (var s = echo.accept()) {
                    s.getInputStream().read(new byte[64]);
                    s.getOutputStream().write(new byte[] {(byte) 0x80, 1, 0, 0, 0, 10, 0, 0, 0x01, 0x01}); // rc 0x101 TPM_RC_FAILURE
                } catch (java.io.IOException ignored) {
                    // test peer
                }
            });
            t.start();
            var x = assertThrows(TpmException.class, () -> new Tpm2Client(TpmTransport.swtpm("127.0.0.1", echo.getLocalPort())));
            assertTrue(x.getMessage().contains("not a TPM 2.0"), x.getMessage());
            t.join();
        }
        assertTrue(List.of(Bank.values()).size() == 4);
    }
}
