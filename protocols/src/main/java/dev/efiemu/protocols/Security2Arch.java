package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.auth.Verdict;
import java.util.List;
import java.util.function.Function;

/**
 * EFI_SECURITY2_ARCH_PROTOCOL (PI spec vol. 2 §12.9), which LoadImage consults for every image:
 * FileAuthentication(This, DevicePath, FileBuffer, FileSize, BootPolicy) allows an image when the
 * verifier trusts its bytes (EFI_SUCCESS) and refuses it otherwise (EFI_ACCESS_DENIED).
 */
public final class Security2Arch {
    private final Function<byte[], Verdict> verifier;

    /** @param verifier the verdict on an image's bytes; null when they are not a PE image */
    public Security2Arch(ProtocolHost host, Function<byte[], Verdict> verifier) {
        this.verifier = verifier;
        long iface = host.newInterface("Security2Arch", List.of(new FunctionSpec("FileAuthentication", this::fileAuthentication,
                "This", "DevicePath", "FileBuffer", "FileSize", "BootPolicy")), 0);
        host.installProtocol(null, Guids.SECURITY2_ARCH, iface);
    }

    long fileAuthentication(Call c) {
        long buffer = c.arg(2), size = c.arg(3);
        if (buffer == 0 || size == 0 || Long.compareUnsigned(size, 1L << 30) > 0) return Status.ACCESS_DENIED;
        Verdict v = verifier.apply(c.memory().read(buffer, (int) size));
        c.note(v == null ? "not a PE image" : v.status() + (v.reason() == null ? "" : ": " + v.reason()));
        return v != null && v.trusted() ? Status.SUCCESS : Status.ACCESS_DENIED;
    }
}
