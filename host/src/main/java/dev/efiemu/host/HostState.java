package dev.efiemu.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What decides whether this host lets a user-space kexec image load, read from /proc and /sys
 * (under {@code root}, so tests can describe a host in a directory):
 * <ul>
 *   <li>CAP_SYS_BOOT in the effective capabilities ({@code /proc/self/status} CapEff, bit 22);
 *   <li>{@code /proc/sys/kernel/kexec_load_disabled} (once 1, kexec_load stays off until reboot);
 *   <li>kernel lockdown ({@code /sys/kernel/security/lockdown}, the bracketed mode): in
 *       {@code integrity} or {@code confidentiality} mode only kexec_file_load of a signed kernel is
 *       allowed (Linux security/lockdown, LOCKDOWN_KEXEC);
 *   <li>whether an image is loaded already ({@code /sys/kernel/kexec_loaded}).
 * </ul>
 *
 * @param capSysBoot   the process may call kexec_load and reboot
 * @param loadDisabled kernel.kexec_load_disabled is 1
 * @param lockdown     the lockdown file's text ("" when the lockdown LSM is absent)
 * @param loaded       a kexec image is loaded now
 */
public record HostState(boolean capSysBoot, boolean loadDisabled, String lockdown, boolean loaded) {
    static final int CAP_SYS_BOOT = 22;
    static final String LOCKDOWN_EXPLAINED = "the kernel is locked down (%s), as distributions do under Secure Boot. "
            + "Lockdown allows kexec only through kexec_file_load of a kernel signed by a key the kernel trusts; "
            + "efiemu's hand-off is a memory image built in user space, which only kexec_load can take, so it cannot be loaded here. "
            + "Boot with Secure Boot off (or without lockdown) to kexec through efiemu, or kexec the signed kernel itself "
            + "(systemctl kexec), which loses what the stub does.";

    /** This host's state. */
    public static HostState read() {
        return read(Path.of("/"));
    }

    /** The state of a host whose /proc and /sys are under {@code root}. */
    public static HostState read(Path root) {
        boolean cap = false;
        String status = text(root.resolve("proc/self/status"));
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                try {
                    cap = (Long.parseUnsignedLong(line.substring(7).strip(), 16) >>> CAP_SYS_BOOT & 1) != 0;
                } catch (NumberFormatException e) {
                    cap = false;
                }
            }
        }
        boolean disabled = text(root.resolve("proc/sys/kernel/kexec_load_disabled")).strip().equals("1");
        String lockdown = text(root.resolve("sys/kernel/security/lockdown")).strip();
        boolean loaded = text(root.resolve("sys/kernel/kexec_loaded")).strip().equals("1");
        return new HostState(cap, disabled, lockdown, loaded);
    }

    private static String text(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** True for the lockdown modes that forbid kexec_load. */
    static boolean lockedDown(String lockdown) {
        return lockdown.contains("[integrity]") || lockdown.contains("[confidentiality]");
    }

    /**
     * Why kexec_load would be refused here, as one sentence, or null when nothing stands in the way.
     * Checked before the payload runs, so a refusal costs nothing.
     */
    public String refusal() {
        if (!capSysBoot) return "kexec needs root: this process lacks CAP_SYS_BOOT (run efiemu kexec as root).";
        if (lockedDown(lockdown)) return LOCKDOWN_EXPLAINED.formatted(lockdown);
        if (loadDisabled) {
            return "kexec_load is disabled on this host (/proc/sys/kernel/kexec_load_disabled = 1); it stays off until the next boot.";
        }
        return null;
    }
}
