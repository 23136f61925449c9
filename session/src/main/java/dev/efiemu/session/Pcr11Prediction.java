package dev.efiemu.session;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.uki.UkiSections;
import dev.efiemu.protocols.tpm.EventLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PCR 11 value systemd-stub will produce for a UKI, from the file alone (what
 * {@code systemd-measure calculate} prints). systemd-stub 252 ({@code src/boot/efi/stub.c})
 * measures, for each present section in {@link #SECTIONS} order, the section name (ASCII with its
 * NUL) and then the section's contents (VirtualSize bytes), both into PCR 11 as EV_IPL events.
 * "enter-initrd" is the value after systemd-pcrphase's first extension.
 *
 * @param stub        bank name ("sha256") → PCR 11 after the stub, lower-case hex
 * @param enterInitrd bank name → PCR 11 after "enter-initrd"
 */
public record Pcr11Prediction(Map<String, String> stub, Map<String, String> enterInitrd) {
    /** systemd 252/253 measure these, in this order (later versions add .uname .sbat ...). */
    public static final List<String> SECTIONS = List.of(".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey");

    /**
     * Predicts PCR 11 in each bank.
     *
     * @throws BootError when the file is not a UKI
     */
    public static Pcr11Prediction of(Path uki, List<EventLog.Bank> banks) {
        byte[] file = Inputs.read(uki, "UKI");
        UkiSections s;
        try {
            PeImage pe = PeImage.parse(file, uki.toString());
            if (!UkiSections.isUki(pe)) throw new BootError(uki + ": not a UKI (no .linux section)");
            s = UkiSections.of(pe);
        } catch (FormatException e) {
            throw new BootError(e.getMessage());
        }
        return of(s, banks);
    }

    public static Pcr11Prediction of(UkiSections s, List<EventLog.Bank> banks) {
        EventLog log = new EventLog(banks);
        for (String name : SECTIONS) {
            var content = s.content(name);
            if (content.isEmpty()) continue;
            log.measure(11, EventLog.EV_IPL, (name + "\0").getBytes(StandardCharsets.US_ASCII), new byte[0], true);
            log.measure(11, EventLog.EV_IPL, content.get(), new byte[0], true);
        }
        Map<String, String> stub = new LinkedHashMap<>(), phase = new LinkedHashMap<>();
        for (EventLog.Bank b : banks) stub.put(b.name().toLowerCase(), HexFormat.of().formatHex(log.pcr(b, 11)));
        log.measure(11, EventLog.EV_IPL, "enter-initrd".getBytes(StandardCharsets.US_ASCII), new byte[0], true);
        for (EventLog.Bank b : banks) phase.put(b.name().toLowerCase(), HexFormat.of().formatHex(log.pcr(b, 11)));
        return new Pcr11Prediction(stub, phase);
    }
}
