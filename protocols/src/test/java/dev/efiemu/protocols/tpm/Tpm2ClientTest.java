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
            assertEquals("swtpm:127.0.0.1:" + echo.getLocalPort() + ": not a TPM 2.0 (TPM2_Startup answered 0x101)", x.getMessage());
            t.join();
        }
        assertTrue(List.of(Bank.values()).size() == 4);
    }
    /**
     * A TPM just powered on (TPM_Init, no TPM2_Startup yet, as after a platform reset) is started by
     * the client (TPM2_Startup answers TPM_RC_SUCCESS). swtpm allocates all four banks; after
     * tpm2_pcrallocate keeps only SHA-256 (and a reset), the others are listed with no PCR selected:
     * not active. Extends then carry the SHA-256 digest only (TPM2_PCR_Extend's count must match
     * what follows), a PCR read in an inactive bank returns no digest, and every PCR index reaches
     * its own PCR (0, 16, 23: the selection bitmap's first and last bytes).
     */
    @Test
    void startsAPoweredOnTpmAndMeasuresOnlyItsActiveBanks() {
        try (Swtpm sw = Swtpm.start(false)) {
            try (Tpm2Client tpm = new Tpm2Client(TpmTransport.swtpm("127.0.0.1", sw.port()))) {
                assertEquals(List.of(Bank.SHA1, Bank.SHA256, Bank.SHA384, Bank.SHA512), tpm.banks(), "swtpm's default allocation");
                assertEquals("TPM 2.0 at swtpm:127.0.0.1:" + sw.port() + " (banks sha1, sha256, sha384, sha512)", tpm.describe());
            }
            sw.tpm2("tpm2_pcrallocate", "sha1:none+sha256:all+sha384:none+sha512:none");
            sw.init();
            Map<Bank, byte[]> d = new LinkedHashMap<>();
            for (Bank b : Bank.values()) d.put(b, b.hash("after the reset".getBytes()));
            VirtualTpm twin = new VirtualTpm(List.of(Bank.SHA256));
            try (Tpm2Client tpm = new Tpm2Client(TpmTransport.swtpm("127.0.0.1", sw.port()))) {
                assertEquals(List.of(Bank.SHA256), tpm.banks());
                assertEquals("TPM 2.0 at swtpm:127.0.0.1:" + sw.port() + " (banks sha256)", tpm.describe());
                for (int pcr : List.of(0, 16, 23)) {
                    tpm.extend(pcr, d);
                    twin.extend(pcr, d);
                }
                tpm.extend(16, d);
                twin.extend(16, d);
                for (int pcr : List.of(0, 16, 23)) assertArrayEquals(twin.pcr(Bank.SHA256, pcr), tpm.pcr(Bank.SHA256, pcr), "PCR " + pcr);
                assertFalse(tpm.fresh(), "PCR 0 extended");
                var x = assertThrows(TpmException.class, () -> tpm.pcr(Bank.SHA1, 16));
                assertEquals("swtpm:127.0.0.1:" + sw.port() + ": TPM2_PCR_Read of PCR 16 SHA1 returned 0 digests", x.getMessage());
                // SubmitCommand's path with a response longer than 255 bytes: TPM2_GetCapability(TPM_CAP_COMMANDS)
                byte[] r = tpm.submit(HexFormat.of().parseHex("8001000000160000017a00000002000000000000007f"));
                assertEquals(0, Tpm2Client.rc(r));
                assertTrue(r.length > 255, r.length + " bytes");
                assertEquals(r.length, java.nio.ByteBuffer.wrap(r).getInt(2), "the whole response, as its size field says");
            }
            String read = sw.pcrread("sha256:16");
            assertTrue(read.toUpperCase().contains("0X" + HexFormat.of().formatHex(twin.pcr(Bank.SHA256, 16)).toUpperCase()), read);
        }
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

    /** swtpm's channel: a response whose size field is below a header or above MAX_RESPONSE_SIZE is refused; 4096 bytes are read whole. */
    @Test
    void swtpmResponseSizes() throws Exception {
        for (int size : List.of(9, 4096, 4097)) {
            try (java.net.ServerSocket peer = new java.net.ServerSocket(0)) {
                Thread t = new Thread(() -> {
                    try (var s = peer.accept()) {
                        s.getInputStream().read(new byte[64]);
                        byte[] r = new byte[Math.max(size, 10)];
                        java.nio.ByteBuffer.wrap(r).putShort((short) 0x8001).putInt(size);
                        s.getOutputStream().write(r);
                    } catch (java.io.IOException ignored) {
                        // test peer
                    }
                });
                t.start();
                try (TpmTransport sw = TpmTransport.swtpm("127.0.0.1", peer.getLocalPort())) {
                    assertEquals("swtpm:127.0.0.1:" + peer.getLocalPort(), sw.describe());
                    byte[] cmd = HexFormat.of().parseHex("80010000000c0000017b0008");
                    if (size == 4096) {
                        assertEquals(4096, sw.transact(cmd).length);
                    } else {
                        var x = assertThrows(TpmException.class, () -> sw.transact(cmd));
                        assertEquals("swtpm:127.0.0.1:" + peer.getLocalPort() + ": response of " + size + " bytes", x.getMessage());
                    }
                }
                t.join();
            }
        }
    }
}
