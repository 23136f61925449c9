package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.Machine;

/** The protocols every efiemu machine has, wired into the system table: consoles, RNG, and the Linux initrd when given. */
public final class StandardProtocols {
    private final ConsoleOutput conOut;
    private final ConsoleInput conIn;

    private StandardProtocols(Firmware fw, byte[] initrd, String keys) {
        Machine m = fw.machine();
        conOut = new ConsoleOutput(m, "ConOut", m.config().console());
        conIn = new ConsoleInput(m, keys);
        fw.tables().setConsoles(conIn.handle().address(), conIn.iface(), conOut.handle().address(), conOut.iface(),
                conOut.handle().address(), conOut.iface());
        new RngProtocol(m, m.config().seed());
        if (initrd != null) new LinuxInitrd(m, initrd);
    }

    public static StandardProtocols install(Firmware fw, byte[] initrd, String keys) {
        return new StandardProtocols(fw, initrd, keys);
    }

    public ConsoleOutput conOut() {
        return conOut;
    }
}
