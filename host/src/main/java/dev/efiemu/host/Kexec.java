package dev.efiemu.host;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * kexec_load(2) for an x86_64 memory image (KEXEC_ARCH_X86_64). The only place efiemu touches the
 * host kernel's boot path; errors come back explained, not as a bare errno.
 */
public final class Kexec {
    static final long SYS_KEXEC_LOAD = 246; // x86_64
    static final long KEXEC_ARCH_X86_64 = 62L << 16;
    public static final int MAX_SEGMENTS = 16; // KEXEC_SEGMENT_MAX

    /** One piece of the image: bytes for physical address {@code address} (page aligned). */
    public record Segment(long address, byte[] bytes) {}

    interface LibC extends Library {
        NativeLong syscall(NativeLong number, Object... args) throws LastErrorException;
    }

    private Kexec() {}

    /** Loads the image so that the next {@code kexec -e} / {@code systemctl kexec} runs it. */
    public static void load(long entry, List<Segment> segments) {
        if (segments.size() > MAX_SEGMENTS) throw new IllegalArgumentException("more than " + MAX_SEGMENTS + " segments");
        LibC libc = Native.load("c", LibC.class);
        List<Memory> keep = new ArrayList<>();
        Memory table = new Memory(32L * segments.size());
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            Memory buf = new Memory(s.bytes().length);
            buf.write(0, s.bytes(), 0, s.bytes().length);
            keep.add(buf);
            long memsz = (s.bytes().length + 4095L) & ~4095L;
            table.setPointer(32L * i, buf);
            table.setLong(32L * i + 8, s.bytes().length);
            table.setPointer(32L * i + 16, new Pointer(s.address()));
            table.setLong(32L * i + 24, memsz);
        }
        try {
            libc.syscall(new NativeLong(SYS_KEXEC_LOAD), new NativeLong(entry), new NativeLong(segments.size()), table,
                    new NativeLong(KEXEC_ARCH_X86_64));
        } catch (LastErrorException e) {
            throw new IllegalStateException(explain(e.getErrorCode(), lockdown(), loadDisabled()));
        } finally {
            keep.clear();
        }
    }

    static String lockdown() {
        try {
            return Files.readString(Path.of("/sys/kernel/security/lockdown")).strip();
        } catch (Exception e) {
            return "";
        }
    }

    static boolean loadDisabled() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/kexec_load_disabled")).strip().equals("1");
        } catch (Exception e) {
            return false;
        }
    }

    /** A sentence for each errno kexec_load(2) documents, using what we know about the host. */
    public static String explain(int errno, String lockdown, boolean disabled) {
        return switch (errno) {
            case 1 -> {
                if (lockdown.contains("[integrity]") || lockdown.contains("[confidentiality]")) {
                    yield "kexec_load: EPERM: the kernel is locked down (" + lockdown + "), as it is under Secure Boot. "
                            + "Only kexec_file_load is allowed then, and it loads only a signed kernel file, not a memory image "
                            + "like efiemu's hand-off; boot without lockdown (or with Secure Boot off) to use it.";
                }
                if (disabled) yield "kexec_load: EPERM: kexec_load is disabled (/proc/sys/kernel/kexec_load_disabled = 1) until the next boot.";
                yield "kexec_load: EPERM: needs root (CAP_SYS_BOOT).";
            }
            case 16 -> "kexec_load: EBUSY: another kexec image is loaded or being loaded; unload it with 'kexec -u' first.";
            case 22 -> "kexec_load: EINVAL: the kernel refused the segment list (overlapping or unaligned segments, or an entry outside them).";
            case 99 -> "kexec_load: EADDRNOTAVAIL: a segment lies outside the memory the kernel lets kexec use (check --kexec-dry-run).";
            case 12 -> "kexec_load: ENOMEM: the kernel could not allocate memory for the image.";
            case 38 -> "kexec_load: ENOSYS: this kernel was built without CONFIG_KEXEC.";
            default -> "kexec_load failed with errno " + errno + ".";
        };
    }
}
