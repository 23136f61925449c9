package dev.efiemu.protocols.tpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Tpm2Eventlog;
import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event log and the virtual TPM under it: a log continued from the one already there (as
 * Linux's binary_bios_measurements or a firmware log area with its zero padding gives it) replays,
 * in tpm2_eventlog, to the TPM's PCRs; the banks and their EFI_TCG2_BOOT_HASH_ALG bits; when a TPM
 * counts as fresh.
 */
class EventLogTest {
    @TempDir
    Path tmp;

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A log continued on the TPM that holds its PCRs: the old events stay first (the firmware's zero
     * padding after them dropped), the new ones follow, and tpm2_eventlog replays the whole log to the
     * TPM's PCRs; events() and priorBytes() tell the new part from the old.
     */
    @Test
    void aContinuedLogReplaysToTheTpmsPcrs() throws Exception {
        VirtualTpm tpm = new VirtualTpm(List.of(Bank.SHA1, Bank.SHA256));
        EventLog firmware = new EventLog(tpm, null);
        assertEquals(0, firmware.priorBytes());
        firmware.measure(0, 8, ascii("firmware"), ascii("firmware"), true);
        firmware.measure(9, EventLog.EV_IPL, ascii("grub.cfg"), ascii("grub.cfg"), true);
        byte[] old = firmware.bytes();
        byte[] padded = Arrays.copyOf(old, old.length + 4096); // a firmware log area: zeros after the last event

        EventLog continued = new EventLog(tpm, padded);
        assertEquals(old.length, continued.priorBytes());
        assertTrue(continued.events().isEmpty(), "events() holds this run's events only");
        assertArrayEquals(old, continued.bytes());
        byte[] rec = continued.measure(9, EventLog.EV_IPL, ascii("vmlinuz"), ascii("vmlinuz"), true);
        assertEquals(1, continued.events().size());
        assertArrayEquals(rec, Arrays.copyOfRange(continued.bytes(), old.length, continued.bytes().length), "the new record follows the old log");
        assertEquals(0, continued.measure(9, EventLog.EV_IPL, ascii("extend only"), new byte[0], false).length, "EXTEND_ONLY: no record");
        assertEquals(1, continued.events().size());

        Path file = Files.write(tmp.resolve("log.bin"), continued.bytes());
        Map<String, String> replayed = Tpm2Eventlog.of(file).pcrs();
        // the EXTEND_ONLY event is in the TPM, not in the log: replay the log without it
        VirtualTpm twin = new VirtualTpm(tpm.banks());
        for (TcgLogParser.Record r : TcgLogParser.parse(continued.bytes()).records()) twin.extend(r.pcr(), r.digests());
        for (Bank b : tpm.banks()) {
            for (int pcr : List.of(0, 9)) {
                assertEquals(HexFormat.of().formatHex(twin.pcr(b, pcr)), replayed.get(b.name().toLowerCase() + ":" + pcr), b + " PCR " + pcr);
            }
        }
        Map<Bank, byte[]> extendOnly = new LinkedHashMap<>();
        for (Bank b : tpm.banks()) extendOnly.put(b, b.hash(ascii("extend only")));
        twin.extend(9, extendOnly);
        for (Bank b : tpm.banks()) assertArrayEquals(twin.pcr(b, 9), continued.pcr(b, 9), b + " PCR 9 in the TPM");
    }

    /** The banks of a log continued must be the TPM's (in any order); a log for other banks is refused. */
    @Test
    void aLogForOtherBanksIsRefused() {
        byte[] sha1And256 = new EventLog(List.of(Bank.SHA1, Bank.SHA256)).bytes();
        String m = assertThrows(IllegalArgumentException.class, () -> new EventLog(new VirtualTpm(List.of(Bank.SHA256)), sha1And256)).getMessage();
        assertEquals("the log's banks [SHA1, SHA256] are not the TPM's active banks [SHA256]", m);
        EventLog reordered = new EventLog(new VirtualTpm(List.of(Bank.SHA256, Bank.SHA1)), sha1And256);
        assertEquals(List.of(Bank.SHA256, Bank.SHA1), reordered.banks());
        assertEquals(sha1And256.length, reordered.priorBytes());
    }

    /** TCG EFI Protocol §6.4 EFI_TCG2_BOOT_HASH_ALG_*; TPM 2.0 Part 2 TPM_ALG_ID and digest sizes. */
    @Test
    void banksAndTheirBits() {
        assertEquals(List.of(1, 2, 4, 8), Arrays.stream(Bank.values()).map(Bank::bit).toList());
        assertEquals(List.of(0x4, 0xb, 0xc, 0xd), Arrays.stream(Bank.values()).map(b -> b.algId).toList());
        for (Bank b : Bank.values()) assertEquals(b.size, b.hash(new byte[0]).length, b.jcaName());
        assertEquals("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
                HexFormat.of().formatHex(Bank.SHA384.hash(new byte[0])));
    }

    /** Fresh: no firmware measured into PCRs 0-7 (PCR 8 and above are the OS loader's). */
    @Test
    void freshMeansPcrs0To7AreZero() {
        Map<Bank, byte[]> d = Map.of(Bank.SHA256, Bank.SHA256.hash(ascii("x")));
        for (int pcr : List.of(0, 7, 8, 23)) {
            VirtualTpm tpm = new VirtualTpm(List.of(Bank.SHA256));
            assertTrue(tpm.fresh());
            tpm.extend(pcr, d);
            assertEquals(pcr >= 8, tpm.fresh(), "PCR " + pcr + " extended");
        }
    }

    /** A digest for a bank the TPM does not have is left out, as Tpm2Client leaves it out of TPM2_PCR_Extend. */
    @Test
    void digestsOfOtherBanksAreIgnored() {
        VirtualTpm tpm = new VirtualTpm(List.of(Bank.SHA256));
        Map<Bank, byte[]> d = new LinkedHashMap<>();
        d.put(Bank.SHA1, Bank.SHA1.hash(ascii("x")));
        d.put(Bank.SHA256, Bank.SHA256.hash(ascii("x")));
        tpm.extend(4, d);
        byte[] joined = Arrays.copyOf(new byte[32], 64);
        System.arraycopy(d.get(Bank.SHA256), 0, joined, 32, 32);
        assertArrayEquals(Bank.SHA256.hash(joined), tpm.pcr(Bank.SHA256, 4));
        assertTrue(tpm.describe().startsWith("virtual (efiemu"), tpm.describe());
        assertThrows(UnsupportedOperationException.class, () -> tpm.submit(new byte[10]));
        assertFalse(tpm.fresh(), "PCR 4 extended");
    }
}
