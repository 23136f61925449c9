package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.Guid;
import dev.efiemu.fixtures.Swtpm;
import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.protocols.tpm.Tpm;
import dev.efiemu.protocols.tpm.Tpm2Client;
import dev.efiemu.protocols.tpm.TpmException;
import dev.efiemu.protocols.tpm.TpmTransport;
import dev.efiemu.protocols.tpm.VirtualTpm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EFI_TCG2_PROTOCOL tested from the inside: tcg2.c checks the protocol's answers as a payload sees
 * them (capability, banks, the log and its last entry, the final-events table, parameter checks,
 * EXTEND_ONLY, SubmitCommand on the virtual TPM); here the host checks what the guest could not
 * compute: the digests of the logged event and PCR 12 after it and the EXTEND_ONLY event, in both
 * banks, and that the log entry the guest found is the host log's last record, byte for byte.
 */
class Tcg2ProtocolTest {
    static final Guid TCG2_SEEN = Guid.parse("e1e1e1e1-0004-0002-0304-05060708090a");

    @Test
    void guestSideChecksPassAndDigestsMatchTheHostsHashes() throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/tcg2.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            StandardProtocols p = StandardProtocols.install(fw, null, null);
            RunOutcome o = fw.runPayload(app, "tcg2.efi", null, 0, DevicePath.filePath("\\tcg2.efi"));
            String why = o.fault() != null ? o.fault().format() : "tcg2.c line " + (o.status() & 0xfffff) + " " + Status.name(o.status());
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);

            EventLog log = p.tcg2().log();
            List<EventLog.Event> pcr12 = log.events().stream().filter(e -> e.pcr() == 12).toList();
            assertEquals(1, pcr12.size(), "one logged event in PCR 12 (the EXTEND_ONLY one is not logged): " + pcr12);
            EventLog.Event ev = pcr12.get(0);
            assertEquals(EventLog.EV_IPL, ev.type());
            assertArrayEquals("tcg2 test".getBytes(StandardCharsets.US_ASCII), ev.data());
            byte[] efiemu = "efiemu".getBytes(StandardCharsets.US_ASCII), x = "x".getBytes(StandardCharsets.US_ASCII);
            for (EventLog.Bank b : List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256)) {
                MessageDigest md = MessageDigest.getInstance(b.jcaName());
                byte[] d1 = md.digest(efiemu), d2 = md.digest(x);
                assertArrayEquals(d1, ev.digests().get(b), b + " digest of the logged data");
                byte[] pcr = new byte[md.getDigestLength()];
                md.update(pcr);
                md.update(d1);
                pcr = md.digest();
                md.update(pcr);
                md.update(d2);
                assertArrayEquals(md.digest(), log.pcr(b, 12), b + " PCR 12: extended by the logged event, then by the EXTEND_ONLY one");
                md.update(new byte[md.getDigestLength()]);
                md.update(d1);
                assertArrayEquals(md.digest(), log.pcr(b, 23), b + " PCR 23, the last one, extended");
                byte[] empty = md.digest(new byte[0]);
                md.update(new byte[md.getDigestLength()]);
                md.update(empty);
                assertArrayEquals(md.digest(), log.pcr(b, 13), b + " PCR 13 extended with the digest of no data");
            }
            assertTrue(log.events().stream().noneMatch(e -> e.pcr() == 4 && new String(e.data(), StandardCharsets.US_ASCII).contains("no image")),
                    "a refused PE_COFF_IMAGE measurement is not logged");

            long seen = fw.tables().configTables().get(TCG2_SEEN);
            long lastEntry = fw.machine().memory().u64(seen);
            byte[] host = log.bytes();
            int recordLength = 4 + 4 + 4 + (2 + 20) + (2 + 32) + 4 + 9;
            byte[] guest = fw.machine().memory().read(lastEntry, recordLength);
            assertArrayEquals(java.util.Arrays.copyOfRange(host, host.length - recordLength, host.length), guest,
                    "GetEventLog's last entry is the host log's last record");
        }
    }
    static final Guid TCG2_FULL_SEEN = Guid.parse("e1e1e1e1-0005-0002-0304-05060708090a");

    /**
     * tcg2_full.c fills the final-events table and then the log area (each event is still extended;
     * EFI_VOLUME_FULL, EventLogTruncated). Here: the host log has every event, and replaying its PCR 16
     * events plus the EXTEND_ONLY one gives the TPM's PCR 16 (what tpm2_eventlog would compute from
     * --eventlog); the guest's log area is the host log up to the last event that fit, byte for byte.
     */
    @Test
    void aFullLogIsTruncatedAndEveryEventStillExtended() throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/tcg2_full.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            StandardProtocols p = StandardProtocols.install(fw, null, null);
            RunOutcome o = fw.runPayload(app, "tcg2_full.efi", null, 0, DevicePath.filePath("\\tcg2_full.efi"));
            String why = o.fault() != null ? o.fault().format() : "tcg2_full.c line " + (o.status() & 0xfffff) + " " + Status.name(o.status());
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);

            var memory = fw.machine().memory();
            long seen = fw.tables().configTables().get(TCG2_FULL_SEEN);
            long logged = memory.u64(seen), inFinal = memory.u64(seen + 8), refused = memory.u64(seen + 16);
            long area = memory.u64(seen + 24), lastEntry = memory.u64(seen + 32);
            assertTrue(inFinal > 0 && refused > inFinal, "the final table filled first: " + inFinal + ", the log at " + refused);
            EventLog log = p.tcg2().log();
            List<EventLog.Event> pcr16 = log.events().stream().filter(e -> e.pcr() == 16).toList();
            assertEquals(logged, pcr16.size(), "the host log keeps every event");
            for (EventLog.Bank b : log.banks()) {
                MessageDigest md = MessageDigest.getInstance(b.jcaName());
                byte[] pcr = new byte[md.getDigestLength()];
                for (EventLog.Event e : pcr16) {
                    if (e.data().length > 0) assertArrayEquals(md.digest(java.util.Arrays.copyOf(e.data(), 8)), e.digests().get(b), b + " digest of DataToHash");
                    md.update(pcr);
                    pcr = md.digest(e.digests().get(b));
                }
                md.update(pcr);
                pcr = md.digest(pcr16.get(pcr16.size() - 1).digests().get(b)); // the EXTEND_ONLY event hashed the same 8 bytes
                assertArrayEquals(pcr, log.pcr(b, 16), b + " PCR 16: every event extended, the refused ones too");
            }
            byte[] host = log.bytes();
            var parsed = dev.efiemu.protocols.tpm.TcgLogParser.parse(host).records();
            int last = parsed.indexOf(parsed.stream().filter(r -> r.offset() == lastEntry - area).findFirst().orElseThrow());
            assertEquals(refused - 1, java.nio.ByteBuffer.wrap(parsed.get(last).data()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(),
                    "the guest's last entry is the last event that fit");
            int end = parsed.get(last + 1).offset();
            assertArrayEquals(java.util.Arrays.copyOf(host, end), memory.read(area, end), "the guest's log is the host log up to there");
        }
    }
    static RunOutcome runApp(byte[] app, EventLog log, java.util.function.Consumer<StandardProtocols> check) {
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            StandardProtocols p = StandardProtocols.install(fw, null, null, log);
            RunOutcome o = fw.runPayload(app, "tcg2_submit.efi", null, 0, DevicePath.filePath("\\tcg2_submit.efi"));
            check.accept(p);
            return o;
        }
    }

    static void assertPassed(RunOutcome o) {
        String why = o.fault() != null ? o.fault().format() : "tcg2_submit.c line " + (o.status() & 0xfffff) + " " + Status.name(o.status());
        assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
        assertEquals(Status.SUCCESS, o.status(), why);
    }

    /**
     * tcg2_submit.c: SubmitCommand through to swtpm (a response whole, or EFI_BUFFER_TOO_SMALL for an
     * output block one byte short), and with a TPM whose commands fail (EFI_DEVICE_ERROR, the
     * failure kept for the summary).
     */
    @Test
    void submitCommandReachesTheTpmBehindTheProtocol(@org.junit.jupiter.api.io.TempDir Path apps) throws Exception {
        Path src = Path.of("src/test/c/tcg2_submit.c");
        try (Swtpm sw = Swtpm.start(); Tpm2Client tpm = new Tpm2Client(TpmTransport.swtpm("127.0.0.1", sw.port()))) {
            assertPassed(runApp(Files.readAllBytes(TestApps.build(src, "x86_64")), new EventLog(tpm, null), p -> assertEquals(List.of(), p.tcg2().deviceErrors())));
        }
        VirtualTpm inner = new VirtualTpm(List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256));
        Tpm failing = new Tpm() {
            @Override public List<EventLog.Bank> banks() { return inner.banks(); }
            @Override public void extend(int pcr, java.util.Map<EventLog.Bank, byte[]> digests) { inner.extend(pcr, digests); }
            @Override public byte[] pcr(EventLog.Bank bank, int pcr) { return inner.pcr(bank, pcr); }
            @Override public byte[] submit(byte[] command) { throw new TpmException("swtpm:127.0.0.1:9: connection reset"); }
            @Override public String describe() { return "a TPM that went away"; }
        };
        byte[] app = Files.readAllBytes(TestApps.build(src, TestApps.Arch.X86_64, List.of("-DFAILING_TPM=1"), apps));
        assertPassed(runApp(app, new EventLog(failing, null),
                p -> assertEquals(List.of("swtpm:127.0.0.1:9: connection reset"), p.tcg2().deviceErrors())));
    }
}
