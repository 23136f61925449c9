package dev.efiemu.protocols.tpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Swtpm;
import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TPM 2.0 client against a real software TPM, checked with tpm2-tools; and the same arithmetic as the virtual TPM. */
class Tpm2ClientTest {
    @TempDir
    Path tmp;

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

    /**
     * A TPM device that answers nothing a TPM would: a FIFO gives the command back (TPM2_Startup's
     * command code where the response code belongs), and a short read is refused; a path that
     * cannot be opened, or a closed device, is one line.
     */
    @Test
    void aDeviceThatIsNoTpm() throws Exception {
        Path fifo = tmp.resolve("tpm0");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        var x = assertThrows(TpmException.class, () -> new Tpm2Client(TpmTransport.device(fifo)));
        assertEquals(fifo + ": not a TPM 2.0 (TPM2_Startup answered 0x144)", x.getMessage());
        try (TpmTransport dev = TpmTransport.device(fifo)) {
            assertEquals(fifo.toString(), dev.describe());
            byte[] ten = HexFormat.of().parseHex("80010000000a00000000");
            assertArrayEquals(ten, dev.transact(ten), "10 bytes: a response header");
            var shortRead = assertThrows(TpmException.class, () -> dev.transact(Arrays.copyOf(ten, 9)));
            assertEquals(fifo + ": short TPM response (9 bytes)", shortRead.getMessage());
        }
        TpmTransport closed = TpmTransport.device(fifo);
        closed.close();
        assertEquals(fifo + ": closed", assertThrows(TpmException.class, () -> closed.transact(new byte[10])).getMessage());
        Path typo = tmp.resolve("tpmrm1");
        var none = assertThrows(TpmException.class, () -> TpmTransport.device(typo));
        assertEquals("--tpm " + typo + ": cannot open: no such device", none.getMessage());
        assertFalse(Files.exists(typo), "a mistyped --tpm path is not created");
    }
}
