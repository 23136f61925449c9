package dev.efiemu.protocols;

import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;

/** The protocols every efiemu machine has, wired into the system table: consoles, RNG, TCG2 (the virtual TPM's SHA-1 and SHA-256 banks, or a real TPM's), and the Linux initrd when given. */
public final class StandardProtocols {
    private final ConsoleOutput conOut;
    private final ConsoleInput conIn;
    private final Tcg2Protocol tcg2;
    private final FirmwareMeasurements measurements;

    private StandardProtocols(Firmware fw, byte[] initrd, String keys, EventLog log) {
        conOut = new ConsoleOutput(fw, "ConOut", fw.config().console());
        conIn = new ConsoleInput(fw, keys);
        fw.tables().setConsoles(conIn.handle().address(), conIn.iface(), conOut.handle().address(), conOut.iface(),
                conOut.handle().address(), conOut.iface());
        new RngProtocol(fw, fw.config().seed());
        // A UEFI 2.x firmware with Secure Boot support, not enforcing and with no PK enrolled (as
        // OVMF without keys): SecureBoot=0, SetupMode=1. --secure-boot and --vars change them.
        fw.variables().put("SecureBoot", Guids.GLOBAL_VARIABLE, SecureBoot.BS_RT, new byte[] {0});
        fw.variables().put("SetupMode", Guids.GLOBAL_VARIABLE, SecureBoot.BS_RT, new byte[] {1});
        tcg2 = new Tcg2Protocol(fw, log);
        measurements = FirmwareMeasurements.install(fw, tcg2);
        if (initrd != null) new InitrdLoadFile2(fw, initrd);
    }

    /** With efiemu's virtual TPM (SHA-1 and SHA-256 banks). */
    public static StandardProtocols install(Firmware fw, byte[] initrd, String keys) {
        return install(fw, initrd, keys, new EventLog(java.util.List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256)));
    }

    /** With TCG2 over {@code log} (and the TPM behind it). */
    public static StandardProtocols install(Firmware fw, byte[] initrd, String keys, EventLog log) {
        return new StandardProtocols(fw, initrd, keys, log);
    }

    public ConsoleOutput conOut() {
        return conOut;
    }

    /** What the firmware itself measures (Secure Boot reports its authorities here). */
    public FirmwareMeasurements measurements() {
        return measurements;
    }

    /** The virtual TPM's protocol: its event log and PCRs. */
    public Tcg2Protocol tcg2() {
        return tcg2;
    }
}
