package dev.efiemu.engine.kvm;

import com.sun.jna.Memory;

/**
 * The vCPU's registers, cached between exits: general registers (KVM_GET/SET_REGS), system
 * registers (KVM_GET/SET_SREGS) and the FPU block (KVM_GET/SET_FPU, for MXCSR), each read on
 * first use after an exit and written back before the next KVM_RUN only when changed.
 */
final class VcpuState {
    private final int vcpuFd;
    final Memory regs = new Memory(Layout.REGS_SIZE);
    final Memory sregs = new Memory(Layout.SREGS_SIZE);
    final Memory fpu = new Memory(Layout.FPU_SIZE);
    private boolean regsValid, regsDirty, sregsValid, sregsDirty, fpuValid, fpuDirty;

    VcpuState(int vcpuFd) {
        this.vcpuFd = vcpuFd;
    }

    Memory regs() {
        if (!regsValid) {
            Kvm.ioctl(vcpuFd, Kvm.GET_REGS, regs, "KVM_GET_REGS");
            regsValid = true;
        }
        return regs;
    }

    Memory regsForWrite() {
        regs();
        regsDirty = true;
        return regs;
    }

    Memory sregs() {
        if (!sregsValid) {
            Kvm.ioctl(vcpuFd, Kvm.GET_SREGS, sregs, "KVM_GET_SREGS");
            sregsValid = true;
        }
        return sregs;
    }

    Memory sregsForWrite() {
        sregs();
        sregsDirty = true;
        return sregs;
    }

    Memory fpu() {
        if (!fpuValid) {
            Kvm.ioctl(vcpuFd, Kvm.GET_FPU, fpu, "KVM_GET_FPU");
            fpuValid = true;
        }
        return fpu;
    }

    Memory fpuForWrite() {
        fpu();
        fpuDirty = true;
        return fpu;
    }

    long reg(int offset) {
        return regs().getLong(offset);
    }

    void reg(int offset, long value) {
        regsForWrite().setLong(offset, value);
    }

    /** Writes what changed back to the vCPU (before KVM_RUN). */
    void flush() {
        if (regsDirty) Kvm.ioctl(vcpuFd, Kvm.SET_REGS, regs, "KVM_SET_REGS");
        if (sregsDirty) Kvm.ioctl(vcpuFd, Kvm.SET_SREGS, sregs, "KVM_SET_SREGS");
        if (fpuDirty) Kvm.ioctl(vcpuFd, Kvm.SET_FPU, fpu, "KVM_SET_FPU");
        regsDirty = sregsDirty = fpuDirty = false;
    }

    /** After KVM_RUN: the vCPU's registers changed under the cache. */
    void invalidate() {
        regsValid = sregsValid = fpuValid = false;
    }

    /** Keeps the cached general registers as they are and writes them back before the next run (after an abandoned exit). */
    void keepRegs(Memory snapshot) {
        byte[] b = snapshot.getByteArray(0, Layout.REGS_SIZE);
        regs.write(0, b, 0, b.length);
        regsValid = true;
        regsDirty = true;
    }
}
