package dev.efiemu.cli;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.uki.UkiSections;
import dev.efiemu.protocols.EventLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code efiemu measure UKI}: the PCR 11 value systemd-stub will produce, from the file alone.
 * systemd-stub 252 (src/boot/efi/stub.c) measures, for each present section in this order, the
 * section name (ASCII with its NUL) and then the section's contents (VirtualSize bytes), both into
 * PCR 11. "enter-initrd" is the value after systemd-pcrphase's first extension, which is what
 * {@code systemd-measure calculate} prints first.
 */
@Command(name = "measure", description = "Predict the PCR 11 value systemd-stub will measure for a UKI.")
final class MeasureCommand implements Callable<Integer> {
    /** systemd 252/253 measure these, in this order (later versions add .uname .sbat ...). */
    static final List<String> SECTIONS = List.of(".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey");

    @Parameters(index = "0", paramLabel = "UKI")
    Path uki;

    @Option(names = "--bank", split = ",", defaultValue = "sha1,sha256", description = "banks (default ${DEFAULT-VALUE})")
    List<String> banks;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() {
        byte[] file = RunCommand.readInput(uki, "UKI");
        UkiSections s;
        try {
            PeImage pe = PeImage.parse(file, uki.toString());
            if (!UkiSections.isUki(pe)) throw new RunCommand.InputError(uki + ": not a UKI (no .linux section)");
            s = UkiSections.of(pe);
        } catch (FormatException e) {
            throw new RunCommand.InputError(e.getMessage());
        }
        List<EventLog.Bank> bs = new ArrayList<>();
        for (String b : banks) {
            try {
                bs.add(EventLog.Bank.valueOf(b.trim().toUpperCase()));
            } catch (IllegalArgumentException e) {
                throw new RunCommand.InputError("unknown bank " + b + " (sha1, sha256, sha384, sha512)");
            }
        }
        Map<String, String[]> values = predict(s, bs);
        if (json) {
            StringBuilder j = new StringBuilder("{\"pcr\": 11, \"banks\": {");
            int i = 0;
            for (var e : values.entrySet()) {
                j.append(i++ == 0 ? "" : ", ").append(String.format("\"%s\": {\"stub\": \"%s\", \"enter-initrd\": \"%s\"}",
                        e.getKey(), e.getValue()[0], e.getValue()[1]));
            }
            System.out.println(j.append("}}"));
        } else {
            System.out.println("# PCR[11] after systemd-stub");
            values.forEach((b, v) -> System.out.println("11:" + b + "=" + v[0]));
            System.out.println("# PCR[11] Phase <enter-initrd>");
            values.forEach((b, v) -> System.out.println("11:" + b + "=" + v[1]));
        }
        return 0;
    }

    static Map<String, String[]> predict(UkiSections s, List<EventLog.Bank> banks) {
        EventLog log = new EventLog(banks);
        for (String name : SECTIONS) {
            var content = s.content(name);
            if (content.isEmpty()) continue;
            byte[] ascii = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            log.measure(11, EventLog.EV_IPL, ascii, new byte[0], true);
            log.measure(11, EventLog.EV_IPL, content.get(), new byte[0], true);
        }
        Map<String, String[]> out = new LinkedHashMap<>();
        for (EventLog.Bank b : banks) out.put(b.name().toLowerCase(), new String[] {HexFormat.of().formatHex(log.pcr(b, 11)), null});
        log.measure(11, EventLog.EV_IPL, "enter-initrd".getBytes(StandardCharsets.US_ASCII), new byte[0], true);
        for (EventLog.Bank b : banks) out.get(b.name().toLowerCase())[1] = HexFormat.of().formatHex(log.pcr(b, 11));
        return out;
    }
}
