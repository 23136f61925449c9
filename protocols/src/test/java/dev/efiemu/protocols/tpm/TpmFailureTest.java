package dev.efiemu.protocols.tpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.protocols.StandardProtocols;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A TPM whose commands fail mid-run: the payload gets EFI_DEVICE_ERROR for its measurements, the run goes on, the failures are kept for the summary. */
class TpmFailureTest {
    /** Starts fine (PCRs readable), then every extend fails like a TPM that went away. */
    static final class FailingTpm implements Tpm {
        final VirtualTpm inner = new VirtualTpm(List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256));

        @Override public List<EventLog.Bank> banks() { return inner.banks(); }
        @Override public void extend(int pcr, Map<EventLog.Bank, byte[]> digests) { throw new TpmException("swtpm:127.0.0.1:9: connection reset"); }
        @Override public byte[] pcr(EventLog.Bank bank, int pcr) { return inner.pcr(bank, pcr); }
        @Override public byte[] submit(byte[] command) { throw new TpmException("swtpm:127.0.0.1:9: connection reset"); }
        @Override public String describe() { return "failing test TPM"; }
    }

    @Test
    void measurementsGetDeviceErrorAndTheRunGoesOn() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        MachineConfig cfg = MachineConfig.defaults().withSeed(1L).withBudget(120_000)
                .withConsole(new PrintStream(new ByteArrayOutputStream(), true));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null, new EventLog(new FailingTpm(), null));
            List<Long> statuses = new ArrayList<>();
            fw.machine().traps().onCall(e -> {
                if (e.service().equals("Tcg2.HashLogExtendEvent") && e.status() != null) statuses.add(e.status());
            });
            RunOutcome o = fw.runPayload(Files.readAllBytes(fx.uki()), "uki.efi", null, 0, DevicePath.filePath("\\uki.efi"));
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, o.kind(), o.message());
            assertFalse(statuses.isEmpty(), "the stub measured");
            assertTrue(statuses.stream().allMatch(s -> s == Status.DEVICE_ERROR), statuses.toString());
            assertFalse(std.tcg2().deviceErrors().isEmpty());
            assertTrue(std.tcg2().deviceErrors().get(0).contains("connection reset"));
            assertTrue(std.tcg2().log().events().isEmpty(), "nothing logged that the TPM did not take");
        }
    }
}
