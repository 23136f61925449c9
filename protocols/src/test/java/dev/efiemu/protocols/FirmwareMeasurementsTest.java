package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.Tpm2Eventlog;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.auth.AuthenticodeDigest;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.protocols.fs.EspDevice;
import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.protocols.tpm.EventLog.Bank;
import dev.efiemu.protocols.tpm.VirtualTpm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the firmware measures itself (TCG PC Client Platform Firmware Profile §3.3.4, §10.4; the
 * order of edk2's Tcg2Dxe and DxeTpm2MeasureBootLib in OVMF), event by event, for the signed test
 * UKI booted under Secure Boot from an ESP that is a GPT disk; and what it leaves out when the TPM
 * was already measured into by the host's firmware. tpm2_eventlog checks the digests it can
 * recompute from the event data (S-CRTM version, separators, Secure Boot variables, the GPT) and
 * replays the log to the virtual TPM's PCRs; the image digest equals pesign's.
 */
class FirmwareMeasurementsTest {
    static final int EV_SEPARATOR = 4, EV_S_CRTM_VERSION = 8, EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001,
            EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003, EV_EFI_GPT_EVENT = 0x80000006, EV_EFI_ACTION = 0x80000007,
            EV_EFI_VARIABLE_AUTHORITY = 0x800000e0;
    static final Guid EFIEMU_OWNER = Guid.parse("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5");

    @TempDir
    Path tmp;

    record Ev(int pcr, int type, byte[] data, Map<Bank, byte[]> digests) {
        String kind() {
            return pcr + ":" + Integer.toHexString(type);
        }

        String text() {
            return new String(data, StandardCharsets.US_ASCII);
        }
    }

    static List<Ev> platformEvents(EventLog log) {
        return log.events().stream().filter(e -> e.pcr() < 8).map(e -> new Ev(e.pcr(), e.type(), e.data(), e.digests())).toList();
    }

    static MachineConfig config() {
        return MachineConfig.defaults().withSeed(1L).withBudget(120_000).withConsole(new PrintStream(new ByteArrayOutputStream(), true));
    }

    /** UEFI_VARIABLE_DATA {VariableName GUID; u64 UnicodeNameLength; u64 VariableDataLength; CHAR16 UnicodeName[]; u8 VariableData[]} (PFP §10.2.6). */
    static byte[] variableData(Guid vendor, String name, byte[] value) {
        byte[] unicode = name.getBytes(StandardCharsets.UTF_16LE);
        return ByteBuffer.allocate(32 + unicode.length + value.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(vendor.toBytes()).putLong(name.length()).putLong(value.length).put(unicode).put(value).array();
    }

    static String pesignSha256(Path file) throws Exception {
        Process p = new ProcessBuilder("pesign", "--hash", "-i", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        for (String line : out.split("\n")) if (line.startsWith("hash: ")) return line.substring(6).strip();
        throw new AssertionError("pesign printed no hash: " + out);
    }

    @Test
    void aFreshTpmGetsThePlatformsEventsInOvmfsOrder() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path esp = tmp.resolve("esp");
        Path payload = Files.createDirectories(esp.resolve("EFI/BOOT")).resolve("BOOTX64.EFI");
        Files.copy(fx.signedUki(), payload);
        byte[] file = Files.readAllBytes(payload);
        X509Certificate cert;
        try (var in = Files.newInputStream(fx.snakeoilCert())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        try (Firmware fw = new Firmware(config(), PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null);
            FirmwareMeasurements m = std.measurements();
            assertTrue(m.fresh(), "efiemu's own TPM is fresh");
            SecureBoot sb = SecureBoot.enable(fw, TrustStore.builder().addDbFile(fx.snakeoilCert()).build(), null);
            sb.onAuthority(m::authority);
            assertNull(sb.refusal(file, "BOOTX64.EFI"), "the boot manager's check: snakeoil's db certificate allows the UKI");
            EspDevice.Placement where = EspDevice.servePayload(fw, esp, false, payload, true);
            assertTrue(where.gpt() != null);
            m.servedDisk(where.gpt());
            RunOutcome o = fw.runPayload(file, "BOOTX64.EFI", null, where.device(), DevicePath.filePath(where.path()));
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, o.kind(), o.message());

            EventLog log = std.tcg2().log();
            List<Ev> ev = platformEvents(log);
            List<String> kinds = ev.stream().map(Ev::kind).toList();
            // S-CRTM version; the Secure Boot policy and the PCR 7 separator before the first image;
            // ReadyToBoot: the boot option's action, separators 0-6; the db certificate, the disk's
            // GPT, then the image; at ExitBootServices its two actions
            List<String> expected = new ArrayList<>(List.of("0:8", "7:80000001", "7:80000001", "7:80000001", "7:80000001", "7:80000001", "7:4",
                    "4:80000007", "0:4", "1:4", "2:4", "3:4", "4:4", "5:4", "6:4", "7:800000e0", "5:80000006", "4:80000003"));
            int images = (int) ev.stream().filter(e -> e.type() == EV_EFI_BOOT_SERVICES_APPLICATION).count();
            for (int i = 1; i < images; i++) expected.add("4:80000003");
            expected.addAll(List.of("5:80000007", "5:80000007"));
            assertEquals(expected, kinds);

            byte[] version = "efiemu 0.1.0\0".getBytes(StandardCharsets.UTF_16LE);
            assertArrayEquals(version, ev.get(0).data(), "EV_S_CRTM_VERSION: the version as a CHAR16 string with its NUL");
            String[] names = {"SecureBoot", "PK", "KEK", "db", "dbx"};
            for (int i = 0; i < 5; i++) {
                Guid vendor = i < 3 ? Guids.GLOBAL_VARIABLE : Guids.IMAGE_SECURITY_DATABASE;
                var v = fw.variables().get(names[i], vendor);
                byte[] value = v == null ? new byte[0] : v.data();
                assertArrayEquals(variableData(vendor, names[i], value), ev.get(1 + i).data(), names[i] + " as UEFI_VARIABLE_DATA");
            }
            assertArrayEquals(new byte[] {1}, fw.variables().get("SecureBoot", Guids.GLOBAL_VARIABLE).data());
            assertTrue(fw.variables().get("db", Guids.IMAGE_SECURITY_DATABASE).data().length > 0, "db holds the certificate");
            for (int i : List.of(6, 8, 9, 10, 11, 12, 13, 14)) assertArrayEquals(new byte[4], ev.get(i).data(), "separator " + kinds.get(i));
            assertEquals("Calling EFI Application from Boot Option", ev.get(7).text());
            byte[] sigData = new byte[16 + cert.getEncoded().length];
            System.arraycopy(EFIEMU_OWNER.toBytes(), 0, sigData, 0, 16);
            System.arraycopy(cert.getEncoded(), 0, sigData, 16, cert.getEncoded().length);
            assertArrayEquals(variableData(Guids.IMAGE_SECURITY_DATABASE, "db", sigData), ev.get(15).data(),
                    "EV_EFI_VARIABLE_AUTHORITY: db's EFI_SIGNATURE_DATA {owner, certificate}");
            assertArrayEquals(where.gpt(), ev.get(16).data(), "UEFI_GPT_DATA");
            assertEquals("Exit Boot Services Invocation", ev.get(ev.size() - 2).text());
            assertEquals("Exit Boot Services Returned with Success", ev.get(ev.size() - 1).text());
            for (Ev e : ev) {
                if (e.type() == EV_EFI_BOOT_SERVICES_APPLICATION) continue;
                for (Bank b : log.banks()) assertArrayEquals(b.hash(e.data()), e.digests().get(b), e.kind() + " " + b + ": the digest of its data");
            }

            // UEFI_IMAGE_LOAD_EVENT {ImageLocationInMemory, ImageLengthInMemory, ImageLinkTimeAddress, LengthOfDevicePath, DevicePath}
            Ev image = ev.get(17);
            LoadedImageRecord rec = fw.machine().images().all().stream().filter(r -> r.name().equals("BOOTX64.EFI")).findFirst().orElseThrow();
            byte[] path = DevicePath.read(fw.machine().memory(), rec.fullPath()).bytes();
            ByteBuffer b = ByteBuffer.wrap(image.data()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(rec.base(), b.getLong());
            assertEquals(rec.size(), b.getLong());
            PeImage pe = PeImage.parse(file, "BOOTX64.EFI");
            assertEquals(pe.imageBase(), b.getLong());
            assertEquals(path.length, b.getLong());
            assertArrayEquals(path, Arrays.copyOfRange(image.data(), 32, image.data().length), "the image's whole device path");
            assertEquals(pesignSha256(payload), HexFormat.of().formatHex(image.digests().get(Bank.SHA256)), "the image's Authenticode digest");
            assertArrayEquals(AuthenticodeDigest.digest(pe, "SHA-1"), image.digests().get(Bank.SHA1));

            // tpm2_eventlog recomputes what it can and replays the log to our PCRs
            Path file2 = Files.write(tmp.resolve("log.bin"), log.bytes());
            Tpm2Eventlog tool = Tpm2Eventlog.of(file2);
            assertFalse(tool.warnings().contains("does not match"), tool.warnings());
            Map<String, String> replayed = tool.pcrs();
            for (Bank bank : log.banks()) {
                for (int pcr = 0; pcr < 8; pcr++) {
                    assertEquals(HexFormat.of().formatHex(log.pcr(bank, pcr)), replayed.get(bank.name().toLowerCase() + ":" + pcr), bank + " PCR " + pcr);
                }
            }
        }
    }

    /**
     * A TPM the host's firmware measured into (PCR 0 not zero) gets no platform events from efiemu:
     * only what firmware measures after boot — each db certificate once, the image, ExitBootServices.
     * An image that is not on a partition (no HD() node in its path) has no GPT measured before it,
     * even with a disk served.
     */
    @Test
    void aMeasuredTpmGetsOnlyTheBootsEvents() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        VirtualTpm tpm = new VirtualTpm(List.of(Bank.SHA1, Bank.SHA256));
        tpm.extend(0, Map.of(Bank.SHA1, Bank.SHA1.hash(new byte[1]), Bank.SHA256, Bank.SHA256.hash(new byte[1])));
        byte[] file = Files.readAllBytes(fx.uki());
        try (Firmware fw = new Firmware(config(), PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null, new EventLog(tpm, null));
            FirmwareMeasurements m = std.measurements();
            assertFalse(m.fresh());
            byte[] cert = "a certificate".getBytes(StandardCharsets.US_ASCII);
            m.authority(cert, EFIEMU_OWNER);
            m.authority(cert, EFIEMU_OWNER);
            m.servedDisk(new byte[92 + 8]);
            RunOutcome o = fw.runPayload(file, "uki.efi", null, 0, DevicePath.filePath("\\uki.efi"));
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, o.kind(), o.message());
            List<Ev> ev = platformEvents(std.tcg2().log());
            List<String> expected = new ArrayList<>(List.of("7:800000e0"));
            int images = (int) ev.stream().filter(e -> e.type() == EV_EFI_BOOT_SERVICES_APPLICATION).count();
            assertTrue(images >= 1);
            for (int i = 0; i < images; i++) expected.add("4:80000003");
            expected.addAll(List.of("5:80000007", "5:80000007"));
            assertEquals(expected, ev.stream().map(Ev::kind).toList());
            byte[] path = DevicePath.filePath("\\uki.efi").bytes();
            byte[] data = ev.get(1).data();
            assertEquals(path.length, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(24));
            assertArrayEquals(path, Arrays.copyOfRange(data, 32, data.length));
        }
    }

    /** A log continued from the host's is the host firmware's: no platform events, even if its PCRs 0-7 read zero. */
    @Test
    void aContinuedLogIsNeverFresh() throws Exception {
        VirtualTpm tpm = new VirtualTpm(List.of(Bank.SHA256));
        EventLog host = new EventLog(tpm, null);
        host.measure(9, EventLog.EV_IPL, new byte[] {1}, new byte[] {1}, true);
        assertTrue(tpm.fresh());
        try (Firmware fw = new Firmware(config(), PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null, new EventLog(tpm, host.bytes()));
            assertFalse(std.measurements().fresh());
            assertTrue(std.tcg2().log().events().isEmpty(), "no S-CRTM event");
        }
    }
}
