package dev.efiemu.host;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;

/**
 * kexec_load(2) and reboot(2) for a memory image of this host's architecture (KEXEC_ARCH_X86_64,
 * KEXEC_ARCH_AARCH64): the only place efiemu touches the host kernel's boot path. Errors come back
 * explained, not as a bare errno.
 *
 * <p>Safety net for development and CI machines, where a stray load or reboot would replace the
 * machine's kernel: when the environment variable {@value #FORBID} is set (the build sets it for
 * every test JVM), {@link #load} and {@link #exec} refuse instead of calling the kernel. Real
 * kexec runs only where it is not set: on the user's machine and inside the kexec lab's guest.
 */
public final class Kexec {
    static final long KEXEC_ARCH_X86_64 = 62L << 16;
    static final long KEXEC_ARCH_AARCH64 = 183L << 16;

    /** The host architecture's syscall numbers and kexec architecture flag. */
    record HostAbi(String arch, long kexecLoad, long reboot, long kexecArch) {
        static HostAbi of(String osArch) {
            return switch (osArch) {
                case "amd64", "x86_64" -> new HostAbi("x86_64", 246, 169, KEXEC_ARCH_X86_64);
                case "aarch64", "arm64" -> new HostAbi("aarch64", 104, 142, KEXEC_ARCH_AARCH64);
                default -> throw new IllegalStateException("kexec: this host's architecture " + osArch + " is not supported (x86_64, aarch64)");
            };
        }

        static HostAbi current() {
            return of(System.getProperty("os.arch"));
        }
    }
    static final int LINUX_REBOOT_MAGIC1 = 0xfee1dead, LINUX_REBOOT_MAGIC2 = 672274793;
    static final int LINUX_REBOOT_CMD_KEXEC = 0x45584543;
    public static final int MAX_SEGMENTS = 16; // KEXEC_SEGMENT_MAX
    /** Set in the environment to make {@link #load} and {@link #exec} refuse (tests on real machines). */
    public static final String FORBID = "EFIEMU_FORBID_KEXEC";

    /**
     * One piece of the image: {@code size} bytes of memory at physical address {@code address} (page
     * aligned), {@code bytes} first; the kernel zeroes the rest (kexec_load: bufsz below memsz).
     */
    public record Segment(long address, byte[] bytes, long size) {
        public Segment {
            if (size < bytes.length) throw new IllegalArgumentException("segment size " + size + " below its " + bytes.length + " bytes");
        }

        public Segment(long address, byte[] bytes) {
            this(address, bytes, bytes.length);
        }
    }

    interface LibC extends Library {
        NativeLong syscall(NativeLong number, Object... args) throws LastErrorException;

        void sync();
    }

    private Kexec() {}

    private static void guard(String what) {
        if (System.getenv(FORBID) != null) {
            throw new IllegalStateException(what + " refused: " + FORBID + " is set (a development or CI machine must never kexec)");
        }
    }

    /** Loads an x86_64 image so that the next {@code kexec -e} / {@code systemctl kexec} / {@link #exec} runs it. */
    public static void load(long entry, List<Segment> segments) {
        load("x86_64", entry, segments);
    }

    /**
     * Loads an image for {@code imageArch} ("x86_64", "aarch64"), which must be this host's
     * architecture (kexec never crosses architectures).
     */
    public static void load(String imageArch, long entry, List<Segment> segments) {
        if (segments.size() > MAX_SEGMENTS) throw new IllegalArgumentException("more than " + MAX_SEGMENTS + " segments");
        guard("kexec_load");
        HostAbi abi = HostAbi.current();
        if (!abi.arch().equals(imageArch)) {
            throw new IllegalStateException("kexec_load: this host is " + abi.arch() + "; an " + imageArch + " image cannot be loaded here");
        }
        LibC libc = Native.load("c", LibC.class);
        List<Memory> keep = new ArrayList<>();
        Memory table = new Memory(32L * segments.size());
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            Memory buf = new Memory(Math.max(1, s.bytes().length));
            buf.write(0, s.bytes(), 0, s.bytes().length);
            keep.add(buf);
            long memsz = (s.size() + 4095L) & ~4095L;
            table.setPointer(32L * i, buf);
            table.setLong(32L * i + 8, s.bytes().length);
            table.setPointer(32L * i + 16, new Pointer(s.address()));
            table.setLong(32L * i + 24, memsz);
        }
        try {
            libc.syscall(new NativeLong(abi.kexecLoad()), new NativeLong(entry), new NativeLong(segments.size()), table,
                    new NativeLong(abi.kexecArch()));
        } catch (LastErrorException e) {
            throw new IllegalStateException(explain(e.getErrorCode(), HostState.read().lockdown(), HostState.read().loadDisabled()));
        } finally {
            keep.clear();
        }
    }

    /**
     * Reboots into the loaded image now, like {@code kexec -e}: file systems are synced, nothing is
     * shut down cleanly (use {@code systemctl kexec} for that). Returns only on failure.
     */
    public static void exec() {
        guard("reboot(LINUX_REBOOT_CMD_KEXEC)");
        LibC libc = Native.load("c", LibC.class);
        libc.sync();
        try {
            libc.syscall(new NativeLong(HostAbi.current().reboot()), LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, Pointer.NULL);
        } catch (LastErrorException e) {
            throw new IllegalStateException("reboot(LINUX_REBOOT_CMD_KEXEC) failed: errno " + e.getErrorCode()
                    + (e.getErrorCode() == 22 ? " (EINVAL: no kexec image is loaded)" : e.getErrorCode() == 1 ? " (EPERM: needs CAP_SYS_BOOT)" : ""));
        }
    }

    /** A sentence for each errno kexec_load(2) documents, using what we know about the host. */
    public static String explain(int errno, String lockdown, boolean disabled) {
        return switch (errno) {
            case 1 -> {
                if (HostState.lockedDown(lockdown)) yield "kexec_load: EPERM: " + HostState.LOCKDOWN_EXPLAINED.formatted(lockdown);
                if (disabled) yield "kexec_load: EPERM: kexec_load is disabled (/proc/sys/kernel/kexec_load_disabled = 1) until the next boot.";
                yield "kexec_load: EPERM: needs root (CAP_SYS_BOOT).";
            }
            case 16 -> "kexec_load: EBUSY: another kexec image is loaded or being loaded; unload it with 'kexec -u' first.";
            case 22 -> "kexec_load: EINVAL: the kernel refused the segment list (overlapping or unaligned segments, or an entry outside them).";
            case 99 -> "kexec_load: EADDRNOTAVAIL: a segment lies outside the memory the kernel lets kexec use (check --dry-run).";
            case 12 -> "kexec_load: ENOMEM: the kernel could not allocate memory for the image.";
            case 38 -> "kexec_load: ENOSYS: this kernel was built without CONFIG_KEXEC.";
            default -> "kexec_load failed with errno " + errno + ".";
        };
    }
}
