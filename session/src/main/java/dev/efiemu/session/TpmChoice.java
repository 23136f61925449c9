package dev.efiemu.session;

import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.protocols.tpm.Tpm;
import dev.efiemu.protocols.tpm.Tpm2Client;
import dev.efiemu.protocols.tpm.TpmException;
import dev.efiemu.protocols.tpm.TpmTransport;
import dev.efiemu.protocols.tpm.VirtualTpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --tpm virtual|DEVICE|swtpm:HOST:PORT} and {@code --tpm-log FILE}: the TPM the payload
 * measures into and the log its events are appended to.
 * <ul>
 *   <li>{@code virtual}: efiemu's own PCRs (SHA-1, SHA-256), a fresh log;
 *   <li>a device ({@code /dev/tpmrm0}): the host's TPM; the log continues the host's
 *       ({@code /sys/kernel/security/tpm0/binary_bios_measurements}, or {@code --tpm-log});
 *   <li>{@code swtpm:HOST:PORT}: swtpm's command channel; a fresh log unless {@code --tpm-log}.
 * </ul>
 * Checked before the payload runs: a TPM that does not answer, or a log that is truncated, corrupt
 * or for other banks, is one line and nothing is extended.
 */
public final class TpmChoice {
    static final Path HOST_LOG = Path.of("/sys/kernel/security/tpm0/binary_bios_measurements");

    private TpmChoice() {}

    public static EventLog open(String spec, Path logFile) {
        Tpm tpm = connect(spec == null ? "virtual" : spec);
        try {
            byte[] prior = null;
            Path source = logFile;
            if (source == null && !(tpm instanceof VirtualTpm) && spec.startsWith("/") && Files.isReadable(HOST_LOG)) source = HOST_LOG;
            if (source != null) prior = Inputs.read(source, "--tpm-log");
            try {
                return new EventLog(tpm, prior);
            } catch (IllegalArgumentException e) {
                throw new BootError("--tpm-log " + source + ": " + e.getMessage() + "; nothing extended");
            }
        } catch (RuntimeException e) {
            tpm.close();
            throw e;
        }
    }

    static Tpm connect(String spec) {
        try {
            if (spec.equals("virtual")) return new VirtualTpm(List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256));
            if (spec.startsWith("/")) return new Tpm2Client(TpmTransport.device(Path.of(spec)));
            if (spec.startsWith("swtpm:")) {
                String rest = spec.substring(6);
                int colon = rest.lastIndexOf(':');
                if (colon <= 0) throw new BootError("--tpm " + spec + ": expected swtpm:HOST:PORT");
                int port;
                try {
                    port = Integer.parseInt(rest.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new BootError("--tpm " + spec + ": expected swtpm:HOST:PORT");
                }
                return new Tpm2Client(TpmTransport.swtpm(rest.substring(0, colon), port));
            }
        } catch (TpmException e) {
            throw new BootError(e.getMessage().startsWith("--tpm") ? e.getMessage() : "--tpm " + spec + ": " + e.getMessage());
        }
        throw new BootError("--tpm " + spec + ": use virtual, a TPM device such as /dev/tpmrm0, or swtpm:HOST:PORT");
    }
}
