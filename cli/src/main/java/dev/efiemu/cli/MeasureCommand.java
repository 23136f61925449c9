package dev.efiemu.cli;

import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.session.Pcr11Prediction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code efiemu measure UKI}: the PCR 11 value systemd-stub will produce, from the file alone ({@link Pcr11Prediction}). */
@Command(name = "measure", description = "Predict the PCR 11 value systemd-stub will measure for a UKI.")
final class MeasureCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "UKI")
    Path uki;

    @Option(names = "--bank", split = ",", defaultValue = "sha1,sha256", description = "banks (default ${DEFAULT-VALUE})")
    List<String> banks;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() {
        List<EventLog.Bank> bs = new ArrayList<>();
        for (String b : banks) {
            try {
                bs.add(EventLog.Bank.valueOf(b.trim().toUpperCase()));
            } catch (IllegalArgumentException e) {
                throw new RunCommand.InputError("unknown bank " + b + " (sha1, sha256, sha384, sha512)");
            }
        }
        Pcr11Prediction p = Pcr11Prediction.of(uki, bs);
        if (json) {
            java.util.Map<String, Object> banksJson = new java.util.LinkedHashMap<>();
            for (String b : p.stub().keySet()) {
                java.util.Map<String, Object> v = new java.util.LinkedHashMap<>();
                v.put("stub", p.stub().get(b));
                v.put("enter-initrd", p.enterInitrd().get(b));
                banksJson.put(b, v);
            }
            java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("pcr", 11);
            out.put("banks", banksJson);
            System.out.print(dev.efiemu.loader.json.Json.write(out));
        } else {
            System.out.println("# PCR[11] after systemd-stub");
            p.stub().forEach((b, v) -> System.out.println("11:" + b + "=" + v));
            System.out.println("# PCR[11] Phase <enter-initrd>");
            p.enterInitrd().forEach((b, v) -> System.out.println("11:" + b + "=" + v));
        }
        return 0;
    }
}
