package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.boot.BootObserver;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.loader.Guid;
import dev.efiemu.loader.auth.AuthenticodeDigest;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.protocols.tpm.EventLog;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the firmware itself measures, in the order edk2's Tcg2Dxe and DxeTpm2MeasureBootLib (OVMF)
 * log it (TCG PC Client Platform Firmware Profile §3.3, §10.4):
 * <ul>
 *   <li>only into a fresh TPM (efiemu's virtual one, or a swtpm just started: PCRs 0-7 zero) —
 *       a host TPM's PCRs 0-7 were measured by the host's own firmware:
 *       PCR 0 EV_S_CRTM_VERSION (efiemu's version, the one firmware event efiemu can honestly
 *       make about itself); PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG for SecureBoot, PK, KEK, db and dbx
 *       (UEFI_VARIABLE_DATA, measured whole, empty when absent) and the PCR 7 separator, before the
 *       first image; at ReadyToBoot PCR 4 EV_EFI_ACTION "Calling EFI Application from Boot Option"
 *       and the separators of PCRs 0-6;
 *   <li>PCR 7 EV_EFI_VARIABLE_AUTHORITY for each db certificate that let an image run under
 *       Secure Boot, before that image's PCR 4 event;
 *   <li>always (what a firmware adds after boot): PCR 5 EV_EFI_GPT_EVENT (UEFI_GPT_DATA) the first
 *       time an image is loaded from a partition of the disk efiemu serves; PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION for every
 *       image loaded (the PE's Authenticode digest; UEFI_IMAGE_LOAD_EVENT with its device path),
 *       and at ExitBootServices PCR 5 EV_EFI_ACTION "Exit Boot Services Invocation" and
 *       "Exit Boot Services Returned with Success".
 * </ul>
 */
public final class FirmwareMeasurements implements BootObserver {
    static final int EV_SEPARATOR = 4, EV_S_CRTM_VERSION = 8;
    static final int EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001, EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003,
            EV_EFI_GPT_EVENT = 0x80000006, EV_EFI_ACTION = 0x80000007, EV_EFI_VARIABLE_AUTHORITY = 0x800000e0;
    static final String VERSION = "efiemu 0.1.0";

    private final Tcg2Protocol tcg2;
    private final VariableStore variables;
    private final boolean fresh;
    private boolean pcr7Measured;
    private final java.util.Set<String> authorities = new java.util.HashSet<>();
    private final java.util.List<byte[]> pendingAuthority = new java.util.ArrayList<>();
    private byte[] gpt;
    private boolean gptMeasured;
    private boolean readied;

    private FirmwareMeasurements(Tcg2Protocol tcg2, VariableStore variables, boolean fresh) {
        this.tcg2 = tcg2;
        this.variables = variables;
        this.fresh = fresh;
    }

    /** Measures the platform's start (into a fresh TPM) and watches the boot from now on. */
    public static FirmwareMeasurements install(Firmware fw, Tcg2Protocol tcg2) {
        EventLog log = tcg2.log();
        boolean fresh = log.priorBytes() == 0 && log.tpm().fresh();
        FirmwareMeasurements m = new FirmwareMeasurements(tcg2, fw.variables(), fresh);
        if (fresh) tcg2.firmwareEvent(0, EV_S_CRTM_VERSION, GuestUtf16.z(VERSION), null, GuestUtf16.z(VERSION));
        fw.observeBoot(m);
        return m;
    }

    /** True when the firmware's own PCR 0-7 events were logged (a fresh TPM). */
    public boolean fresh() {
        return fresh;
    }

    /** The Secure Boot policy (PCR 7), once the keys are in place: just before the first image. */
    private void measureSecureBootPolicy() {
        if (pcr7Measured || !fresh) return;
        pcr7Measured = true;
        for (Object[] v : List.of(new Object[] {"SecureBoot", Guids.GLOBAL_VARIABLE}, new Object[] {"PK", Guids.GLOBAL_VARIABLE},
                new Object[] {"KEK", Guids.GLOBAL_VARIABLE}, new Object[] {"db", Guids.IMAGE_SECURITY_DATABASE},
                new Object[] {"dbx", Guids.IMAGE_SECURITY_DATABASE})) {
            byte[] data = variableData((String) v[0], (Guid) v[1], variables);
            tcg2.firmwareEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG, data, null, data);
        }
        separator(7);
    }

    /** UEFI_VARIABLE_DATA {GUID VariableName; u64 UnicodeNameLength; u64 VariableDataLength; CHAR16 UnicodeName[]; u8 VariableData[]}. */
    static byte[] variableData(String name, Guid vendor, VariableStore store) {
        VariableStore.Variable var = store.get(name, vendor);
        byte[] value = var == null ? new byte[0] : var.data();
        byte[] unicode = name.getBytes(StandardCharsets.UTF_16LE);
        ByteBuffer b = ByteBuffer.allocate(16 + 8 + 8 + unicode.length + value.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(vendor.toBytes()).putLong(name.length()).putLong(value.length).put(unicode).put(value);
        return b.array();
    }

    private void separator(int pcr) {
        byte[] zero = new byte[4];
        tcg2.firmwareEvent(pcr, EV_SEPARATOR, zero, null, zero);
    }

    private void action(int pcr, String text) {
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        tcg2.firmwareEvent(pcr, EV_EFI_ACTION, ascii, null, ascii);
    }

    /**
     * Secure Boot let an image run because this db certificate vouches for it: PCR 7
     * EV_EFI_VARIABLE_AUTHORITY, UEFI_VARIABLE_DATA of db whose data is the EFI_SIGNATURE_DATA
     * {owner, certificate}, once per certificate (edk2 DxeImageVerificationLib). The boot manager's
     * check of the payload comes before the run: its event waits for the payload's load.
     */
    public void authority(byte[] certificate, Guid owner) {
        String key = java.util.HexFormat.of().formatHex(certificate);
        if (!authorities.add(key)) return;
        byte[] sigData = new byte[16 + certificate.length];
        System.arraycopy(owner.toBytes(), 0, sigData, 0, 16);
        System.arraycopy(certificate, 0, sigData, 16, certificate.length);
        pendingAuthority.add(sigData);
        if (pcr7Measured) flushAuthorities();
    }

    private void flushAuthorities() {
        for (byte[] sigData : pendingAuthority) {
            byte[] unicode = "db".getBytes(StandardCharsets.UTF_16LE);
            ByteBuffer b = ByteBuffer.allocate(16 + 8 + 8 + unicode.length + sigData.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put(Guids.IMAGE_SECURITY_DATABASE.toBytes()).putLong(2).putLong(sigData.length).put(unicode).put(sigData);
            byte[] data = b.array();
            tcg2.firmwareEvent(7, EV_EFI_VARIABLE_AUTHORITY, data, null, data);
        }
        pendingAuthority.clear();
    }

    /** The GPT of the disk efiemu serves (UEFI_GPT_DATA), measured into PCR 5 when an image is first loaded from a GPT partition. */
    public void servedDisk(byte[] gptData) {
        this.gpt = gptData;
    }

    @Override
    public void imageLoaded(byte[] file, LoadedImageRecord image, DevicePath fullPath) {
        measureSecureBootPolicy();
        flushAuthorities();
        if (gpt != null && !gptMeasured && fullPath != null
                && fullPath.nodes().stream().anyMatch(n -> n.type() == 4 && n.subType() == 1)) { // Media / Hard Drive
            gptMeasured = true; // edk2 DxeTpm2MeasureBootLib: once per boot, before the image
            tcg2.firmwareEvent(5, EV_EFI_GPT_EVENT, gpt, null, gpt);
        }
        Map<EventLog.Bank, byte[]> digests = new LinkedHashMap<>();
        long linkTime;
        try {
            PeImage pe = PeImage.parse(file, image.name());
            for (EventLog.Bank b : tcg2.log().banks()) digests.put(b, AuthenticodeDigest.digest(pe, b.jcaName()));
            linkTime = pe.imageBase();
        } catch (RuntimeException e) {
            return; // LoadImage took it, so it parsed; nothing to measure otherwise
        }
        byte[] path = fullPath == null ? new byte[0] : fullPath.bytes();
        // UEFI_IMAGE_LOAD_EVENT {ImageLocationInMemory, ImageLengthInMemory, ImageLinkTimeAddress, LengthOfDevicePath, DevicePath[]}
        ByteBuffer ev = ByteBuffer.allocate(32 + path.length).order(ByteOrder.LITTLE_ENDIAN);
        ev.putLong(image.base()).putLong(image.size()).putLong(linkTime).putLong(path.length).put(path);
        tcg2.firmwareEvent(4, EV_EFI_BOOT_SERVICES_APPLICATION, null, digests, ev.array());
    }

    @Override
    public void readyToBoot() {
        measureSecureBootPolicy();
        if (readied || !fresh) return;
        readied = true;
        action(4, "Calling EFI Application from Boot Option");
        for (int pcr = 0; pcr <= 6; pcr++) separator(pcr);
    }

    @Override
    public void exitBootServices() {
        action(5, "Exit Boot Services Invocation");
        action(5, "Exit Boot Services Returned with Success");
    }

    /** CHAR16 strings with their NUL, as the firmware version string is logged. */
    static final class GuestUtf16 {
        private GuestUtf16() {}

        static byte[] z(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_16LE);
            return java.util.Arrays.copyOf(b, b.length + 2);
        }
    }
}
