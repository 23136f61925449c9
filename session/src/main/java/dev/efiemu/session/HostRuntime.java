package dev.efiemu.session;

import dev.efiemu.core.handoff.HostRuntimeServices;
import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.core.memory.HostMemoryLayout.RuntimeRegion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host firmware's EFI runtime services, as the running Linux kernel exports them under
 * /sys/firmware/efi: {@code fw_platform_size} (64), {@code runtime} (the runtime services table;
 * the physical address the firmware gave at boot) and {@code runtime-map/N} (each runtime region
 * with the virtual address the kernel chose for it, CONFIG_EFI_RUNTIME_MAP). kexec-tools reads the
 * same files to keep runtime services alive across a kexec.
 */
public final class HostRuntime {
    private HostRuntime() {}

    /** This host's, or null when it was not booted through 64-bit EFI or does not export the runtime map. */
    public static HostRuntimeServices.Host ofThisHost() {
        return read(Path.of("/sys/firmware/efi"));
    }

    /** The runtime regions alone (empty when there are none), for the memory map a payload sees. */
    public static List<RuntimeRegion> regions(Path sysEfi) {
        try {
            return HostMemoryLayout.readRuntimeMap(sysEfi.resolve("runtime-map"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    static HostRuntimeServices.Host read(Path sysEfi) {
        try {
            if (!Files.isDirectory(sysEfi)) return null;
            if (!Files.readString(sysEfi.resolve("fw_platform_size")).strip().equals("64")) return null;
            List<RuntimeRegion> regions = HostMemoryLayout.readRuntimeMap(sysEfi.resolve("runtime-map"));
            if (regions.isEmpty()) return null;
            String text = Files.readString(sysEfi.resolve("runtime")).strip();
            long rt = Long.parseUnsignedLong(text.startsWith("0x") ? text.substring(2) : text, 16);
            Long virt = virtualOf(rt, regions);
            return virt == null ? null : new HostRuntimeServices.Host(virt, regions);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The runtime table's virtual address: its physical address moved into its region's virtual
     * range; a value already in a virtual range (a host that was itself kexec'd) as it is.
     */
    static Long virtualOf(long address, List<RuntimeRegion> regions) {
        for (RuntimeRegion r : regions) if (r.containsPhys(address)) return r.virt() + (address - r.phys());
        for (RuntimeRegion r : regions) if (r.containsVirt(address)) return address;
        return null;
    }
}
