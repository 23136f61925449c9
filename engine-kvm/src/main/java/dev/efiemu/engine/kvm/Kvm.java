package dev.efiemu.engine.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.util.Map;

/**
 * The Linux KVM API as far as efiemu uses it (Documentation/virt/kvm/api.rst; the numbers are
 * {@code include/uapi/linux/kvm.h}'s {@code _IO/_IOR/_IOW/_IOWR(KVMIO = 0xAE, nr, size)}), and the
 * few libc calls around it, through JNA: no C code.
 */
final class Kvm {
    private Kvm() {}

    /** The one API version KVM has had since Linux 2.6.22. */
    static final int API_VERSION = 12;

    static final long GET_API_VERSION = io(0x00);
    static final long CREATE_VM = io(0x01);
    static final long CHECK_EXTENSION = io(0x03);
    static final long GET_VCPU_MMAP_SIZE = io(0x04);
    static final long GET_SUPPORTED_CPUID = iowr(0x05, 8);
    static final long CREATE_VCPU = io(0x41);
    static final long SET_USER_MEMORY_REGION = iow(0x46, 32);
    static final long SET_TSS_ADDR = io(0x47);
    static final long RUN = io(0x80);
    static final long GET_REGS = ior(0x81, Layout.REGS_SIZE);
    static final long SET_REGS = iow(0x82, Layout.REGS_SIZE);
    static final long GET_SREGS = ior(0x83, Layout.SREGS_SIZE);
    static final long SET_SREGS = iow(0x84, Layout.SREGS_SIZE);
    static final long GET_MSRS = iowr(0x88, 8);
    static final long SET_MSRS = iow(0x89, 8);
    static final long GET_FPU = ior(0x8c, Layout.FPU_SIZE);
    static final long SET_FPU = iow(0x8d, Layout.FPU_SIZE);
    static final long SET_CPUID2 = iow(0x90, 8);

    /** KVM_CAP_USER_MEMORY, KVM_CAP_EXT_CPUID, KVM_CAP_IMMEDIATE_EXIT. */
    static final int CAP_USER_MEMORY = 3, CAP_EXT_CPUID = 7, CAP_IMMEDIATE_EXIT = 136;

    /** kvm_run.exit_reason values. */
    static final int EXIT_UNKNOWN = 0, EXIT_EXCEPTION = 1, EXIT_IO = 2, EXIT_DEBUG = 4, EXIT_HLT = 5, EXIT_MMIO = 6,
            EXIT_SHUTDOWN = 8, EXIT_FAIL_ENTRY = 9, EXIT_INTR = 10, EXIT_INTERNAL_ERROR = 17, EXIT_SYSTEM_EVENT = 24;

    static final int O_RDWR = 2, O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    static final int EINTR = 4, EAGAIN = 11;

    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | (0xAEL << 8) | nr;
    }

    private static long io(int nr) {
        return ioc(0, nr, 0);
    }

    private static long iow(int nr, int size) {
        return ioc(1, nr, size);
    }

    private static long ior(int nr, int size) {
        return ioc(2, nr, size);
    }

    private static long iowr(int nr, int size) {
        return ioc(3, nr, size);
    }

    /** libc, with errno reported as {@link LastErrorException}. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

        int ioctl(int fd, NativeLong request, NativeLong arg) throws LastErrorException;

        Pointer mmap(Pointer addr, NativeLong length, int prot, int flags, int fd, NativeLong offset) throws LastErrorException;

        int munmap(Pointer addr, NativeLong length) throws LastErrorException;

        String strerror(int errnum);

        long pthread_self();

        int pthread_kill(long thread, int sig);

        int sigaction(int sig, Pointer act, Pointer old) throws LastErrorException;

        int __libc_current_sigrtmax();
    }

    /** An ioctl on {@code fd} with a pointer argument; throws {@link KvmException} naming it on failure. */
    static int ioctl(int fd, long request, Pointer arg, String what) {
        try {
            return LibC.INSTANCE.ioctl(fd, new NativeLong(request), arg);
        } catch (LastErrorException e) {
            throw new KvmException(what, e.getErrorCode());
        }
    }

    /** An ioctl on {@code fd} with an integer argument. */
    static int ioctl(int fd, long request, long arg, String what) {
        try {
            return LibC.INSTANCE.ioctl(fd, new NativeLong(request), new NativeLong(arg));
        } catch (LastErrorException e) {
            throw new KvmException(what, e.getErrorCode());
        }
    }

    private static final Map<Integer, String> ERRNO_NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"), Map.entry(6, "ENXIO"),
            Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"),
            Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"), Map.entry(21, "EISDIR"),
            Map.entry(22, "EINVAL"), Map.entry(24, "EMFILE"), Map.entry(25, "ENOTTY"), Map.entry(95, "EOPNOTSUPP"));

    /** "ENOENT (No such file or directory)": the errno's name and the C library's meaning. */
    static String errno(int errno) {
        String text;
        try {
            text = LibC.INSTANCE.strerror(errno);
        } catch (RuntimeException | LinkageError e) {
            text = "errno " + errno;
        }
        return ERRNO_NAMES.getOrDefault(errno, "errno " + errno) + " (" + text + ")";
    }
}
