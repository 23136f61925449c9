package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;

/** The protocols every efiemu machine has, wired into the system table: consoles, RNG, TCG2 (SHA-1 and SHA-256 banks), and the Linux initrd when given. */
public final class StandardProtocols {
    private final ConsoleOutput conOut;
    private final ConsoleInput conIn;
    private final Tcg2Protocol tcg2;

    private StandardProtocols(Firmware fw, byte[] initrd, String keys) {
        conOut = new ConsoleOutput(fw, "ConOut", fw.config().console());
        conIn = new ConsoleInput(fw, keys);
        fw.tables().setConsoles(conIn.handle().address(), conIn.iface(), conOut.handle().address(), conOut.iface(),
                conOut.handle().address(), conOut.iface());
        new RngProtocol(fw, fw.config().seed());
        tcg2 = new Tcg2Protocol(fw, new EventLog(java.util.List.of(EventLog.Bank.SHA1, EventLog.Bank.SHA256)));
        if (initrd != null) new InitrdLoadFile2(fw, initrd);
    }

    public static StandardProtocols install(Firmware fw, byte[] initrd, String keys) {
        return new StandardProtocols(fw, initrd, keys);
    }

    public ConsoleOutput conOut() {
        return conOut;
    }

    /** The virtual TPM's protocol: its event log and PCRs. */
    public Tcg2Protocol tcg2() {
        return tcg2;
    }
}
