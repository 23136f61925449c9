package dev.efiemu.protocols.tpm;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a TCG2 log back (the host's log that a measured kexec continues): what EventLog writes
 * comes back event by event with its offsets, as tpm2_eventlog counts it; zero padding ends the
 * log; every cut inside the last event and every inconsistent header is refused with an offset.
 */
class TcgLogParserTest {
    @TempDir
    Path tmp;

    static EventLog log() {
        EventLog l = new EventLog(List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256));
        l.measure(4, EventLog.EV_IPL, "one".getBytes(StandardCharsets.US_ASCII), "abc".getBytes(StandardCharsets.US_ASCII), true);
        l.measure(9, EventLog.EV_IPL, "two".getBytes(StandardCharsets.US_ASCII), "kernel".getBytes(StandardCharsets.US_ASCII), true);
        l.measure(23, EventLog.EV_IPL, new byte[0], new byte[0], true);
        return l;
    }

    @Test
    void readsBackWhatEventLogWrites() throws Exception {
        EventLog l = log();
        byte[] bytes = l.bytes();
        TcgLogParser.Parsed p = TcgLogParser.parse(bytes);
        assertEquals(List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256), p.banks());
        assertEquals(bytes.length, p.end());
        assertEquals(3, p.records().size());
        for (int i = 0; i < 3; i++) {
            EventLog.Event e = l.events().get(i);
            TcgLogParser.Record r = p.records().get(i);
            assertEquals(e.pcr(), r.pcr());
            assertEquals(e.type(), r.type());
            assertArrayEquals(e.data(), r.data());
            assertArrayEquals(e.digests().get(EventLog.Bank.SHA256), r.digests().get(EventLog.Bank.SHA256));
            assertArrayEquals(e.digests().get(EventLog.Bank.SHA1), r.digests().get(EventLog.Bank.SHA1));
        }
        int eventSize = 12 + 2 + 20 + 2 + 32 + 4;
        assertEquals(bytes.length - eventSize - (eventSize + 6) - (eventSize + 3), p.records().get(0).offset());
        assertEquals(p.records().get(0).offset() + eventSize + 3, p.records().get(1).offset());
        // tpm2_eventlog sees the same events (plus the Spec ID event)
        Path f = Files.write(tmp.resolve("log.bin"), bytes);
        Process proc = new ProcessBuilder("tpm2_eventlog", f.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, proc.waitFor(), out);
        assertEquals(4, out.split("- EventNum:", -1).length - 1, out);
        // zero padding after the last event ends the log there
        TcgLogParser.Parsed padded = TcgLogParser.parse(Arrays.copyOf(bytes, bytes.length + 64));
        assertEquals(bytes.length, padded.end());
        assertEquals(3, padded.records().size());
    }

    @Test
    void everyCutInsideTheLastEventIsRefused() {
        byte[] bytes = log().bytes();
        int last = TcgLogParser.parse(bytes).records().get(2).offset();
        for (int cut = last + 1; cut < bytes.length; cut++) {
            byte[] t = Arrays.copyOf(bytes, cut);
            String m = assertThrows(IllegalArgumentException.class, () -> TcgLogParser.parse(t), "cut at " + cut).getMessage();
            assertTrue(m.startsWith("truncated at offset"), m);
        }
        String m = assertThrows(IllegalArgumentException.class, () -> TcgLogParser.parse(Arrays.copyOf(bytes, last + 11))).getMessage();
        assertEquals("truncated at offset " + last + " (event 2)", m);
        assertEquals(2, TcgLogParser.parse(Arrays.copyOf(bytes, last)).records().size(), "a cut between events is a shorter log");
    }

    @Test
    void inconsistentHeadersAreRefusedWithTheirOffset() {
        byte[] good = log().bytes();
        int first = TcgLogParser.parse(good).records().get(0).offset();
        assertTrue(fails(set(good, 0, 1)).contains("offset 0: not a TCG2 log"), "PCR of the Spec ID event");
        assertTrue(fails(set(good, 4, 4)).contains("offset 0: not a TCG2 log"), "its type");
        assertTrue(fails(set(good, 28, 23)).contains("offset 0: not a TCG2 log"), "its size below 24");
        assertTrue(fails(set(good, 28, good.length - 31)).contains("offset 0: not a TCG2 log"), "its size past the log");
        byte[] sig = good.clone();
        sig[32] = 'X';
        assertTrue(fails(sig).contains("\"Spec ID Event03\" missing"));
        assertTrue(fails(set(good, 32 + 24, 0)).contains("0 algorithms"));
        assertTrue(fails(set(good, 32 + 24, 17)).contains("17 algorithms"));
        assertTrue(fails(set(good, first, 32)).contains("offset " + first + " (event 0): not an event (PCR 32, 2 digests)"));
        byte[] p31 = set(good, TcgLogParser.parse(good).records().get(2).offset(), 31);
        assertEquals(31, TcgLogParser.parse(p31).records().get(2).pcr(), "PCR 31 is still an event");
        assertTrue(fails(set(good, first + 8, 0)).contains("not an event (PCR 4, 0 digests)"));
        assertTrue(fails(set(good, first + 8, 17)).contains("17 digests"));
        byte[] alg = good.clone();
        ByteBuffer.wrap(alg).order(ByteOrder.LITTLE_ENDIAN).putShort(first + 12, (short) 0x0c);
        assertTrue(fails(alg).contains("offset " + (first + 12) + ": digest of algorithm 0xc the Spec ID event does not list"));
        int dataLen = first + 12 + 22 + 34;
        assertTrue(fails(set(good, dataLen, -1)).contains("-1 bytes of data"));
        assertTrue(fails(set(good, dataLen, 0x10000)).contains("truncated at offset " + first + " (event 0: 65536 bytes of data"));
        assertEquals("truncated at offset 0 (20 bytes; the Spec ID event's header takes 32)", fails(Arrays.copyOf(good, 20)));
        assertTrue(fails(Arrays.copyOf(good, 40)).contains("not a TCG2 log"), "a Spec ID event longer than the log");
    }

    /**
     * The valid edges: a log that holds only its Spec ID event (a firmware that measured nothing yet),
     * a single bank, an EV_PREBOOT_CERT (type 0) event in PCR 0 with no data (only an all-zero
     * header is padding), and exactly one record header's worth of zero padding; a 32-byte log is
     * a header whose Spec ID event is missing, not a truncated one. tpm2_eventlog reads the same.
     */
    @Test
    void validEdges() throws Exception {
        EventLog l = new EventLog(List.of(EventLog.Bank.SHA256));
        byte[] empty = l.bytes();
        TcgLogParser.Parsed p = TcgLogParser.parse(empty);
        assertEquals(List.of(EventLog.Bank.SHA256), p.banks());
        assertEquals(List.of(), p.records());
        assertEquals(empty.length, p.end());
        l.measure(0, 0, new byte[0], new byte[0], true);
        byte[] one = l.bytes();
        TcgLogParser.Parsed q = TcgLogParser.parse(Arrays.copyOf(one, one.length + 12));
        assertEquals(1, q.records().size());
        assertEquals(0, q.records().get(0).pcr());
        assertEquals(0, q.records().get(0).type());
        assertEquals(one.length, q.end());
        Path f = Files.write(tmp.resolve("one.bin"), one);
        Process proc = new ProcessBuilder("tpm2_eventlog", f.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, proc.waitFor(), out);
        assertTrue(out.contains("EventType: EV_PREBOOT_CERT"), out);
        assertEquals("offset 0: not a TCG2 log (no Spec ID event)", fails(Arrays.copyOf(empty, 32)));
        assertTrue(fails(set(empty, 32 + 24, 17)).startsWith("offset " + (32 + 24) + ": 17 algorithms"));
    }

    static byte[] set(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    static String fails(byte[] b) {
        return assertThrows(IllegalArgumentException.class, () -> TcgLogParser.parse(b)).getMessage();
    }
}
