package dev.efiemu.engine.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Stops a vCPU from another thread (the {@code --budget} watchdog): KVM_RUN returns EINTR when a
 * signal arrives (Documentation/virt/kvm/api.rst, "KVM_RUN"), and {@code kvm_run.immediate_exit}
 * covers a signal that comes while the thread is outside KVM_RUN. The signal is a real-time one
 * the JVM does not use, with libc's {@code abs} as its handler: a native function that does
 * nothing harmful with the signal number, so no Java code ever runs in signal context.
 * SA_RESTART keeps every other system call of that thread from seeing EINTR.
 */
final class Kicker {
    private static final int SA_RESTART = 0x10000000;
    private static final int SIGNAL;

    static {
        int sig = Kvm.LibC.INSTANCE.__libc_current_sigrtmax() - 3;
        Memory act = new Memory(152); // struct sigaction: handler, sa_mask (128), sa_flags, sa_restorer
        act.clear();
        Pointer abs = NativeLibrary.getInstance("c").getFunction("abs");
        act.setPointer(0, abs);
        act.setInt(136, SA_RESTART);
        try {
            Kvm.LibC.INSTANCE.sigaction(sig, act, null);
        } catch (LastErrorException e) {
            throw new KvmException("sigaction for the vCPU kick signal", e.getErrorCode());
        }
        SIGNAL = sig;
    }

    private Kicker() {}

    /** The calling thread's pthread_t, for {@link #kick}. */
    static long self() {
        return Kvm.LibC.INSTANCE.pthread_self();
    }

    /** Makes the vCPU of {@code run} leave (or not enter) KVM_RUN on {@code thread}. */
    static void kick(Pointer run, long thread) {
        run.setByte(Layout.RUN_IMMEDIATE_EXIT, (byte) 1);
        if (thread != 0) Kvm.LibC.INSTANCE.pthread_kill(thread, SIGNAL);
    }
}
