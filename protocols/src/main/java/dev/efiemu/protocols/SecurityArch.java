package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.trap.FunctionSpec;
import java.util.List;

/**
 * EFI_SECURITY_ARCH_PROTOCOL (PI spec vol. 2 §12.8): FileAuthenticationState(This,
 * AuthenticationStatus, File) has no file buffer to check, so it allows; LoadImage asks it only
 * when no Security2 protocol is installed.
 */
public final class SecurityArch {
    public SecurityArch(ProtocolHost host) {
        long iface = host.newInterface("SecurityArch", List.of(new FunctionSpec("FileAuthenticationState", c -> Status.SUCCESS,
                "This", "AuthenticationStatus", "File")), 0);
        host.installProtocol(null, Guids.SECURITY_ARCH, iface);
    }
}
