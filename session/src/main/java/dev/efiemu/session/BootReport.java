package dev.efiemu.session;

import dev.efiemu.core.machine.RunOutcome;
import java.util.List;
import java.util.Map;

/**
 * What a boot did, as data: the front ends print it, tests assert on it.
 *
 * @param outcome        how the run ended (with the ExitBootServices state or a fault report)
 * @param setupSeconds   building the machine and loading inputs
 * @param runSeconds     emulation, from the payload's first instruction
 * @param runCpuSeconds  CPU time the emulating thread used in that span (the figure benchmarks compare
 *                       on a busy machine, where wall time also counts other processes)
 * @param engine         the CPU engine that ran it
 * @param serviceCalls   boot/runtime service and protocol calls made
 * @param images         every image loaded, in load order
 * @param memoryByType   bytes of the memory map per memory type at the end
 * @param configTables   configuration table name (or GUID) → address, in table order
 * @param variables      variables the payload wrote: "vendor:name (N bytes)" or "... (deleted)"
 * @param unsupported    service → calls that were answered EFI_UNSUPPORTED
 * @param pcrs           PCRs the run measured into: one entry per PCR and bank
 * @param events         events in the TCG2 event log
 * @param backedBytes    guest memory the engine backs (allocated RAM only)
 * @param tpm            the TPM the payload measured into
 * @param tpmErrors      TPM commands that failed during the run (the payload got EFI_DEVICE_ERROR)
 * @param engineFallback why {@code --engine auto} passed over a more preferred engine (KVM), or null
 */
public record BootReport(RunOutcome outcome, double setupSeconds, double runSeconds, double runCpuSeconds, String engine, long serviceCalls,
                         List<Image> images, Map<String, Long> memoryByType, Map<String, Long> configTables,
                         List<String> variables, Map<String, Integer> unsupported, List<Pcr> pcrs, int events,
                         long backedBytes, String tpm, List<String> tpmErrors, String engineFallback) {
    /** One loaded image. */
    public record Image(String name, long base, long size, long entry) {}

    /** One PCR value of one bank, lower-case hex. */
    public record Pcr(int index, String bank, String hex) {}

    /** True when the payload reached ExitBootServices (a hand-off exists). */
    public boolean reachedExitBootServices() {
        return outcome.kind() == RunOutcome.Kind.EXIT_BOOT_SERVICES;
    }
}
