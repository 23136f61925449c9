package dev.efiemu.engine.kvm;

import dev.efiemu.cpu.CpuException;

/** A KVM call failed: which one, and the errno with its meaning. */
final class KvmException extends CpuException {
    private final int errno;

    KvmException(String what, int errno) {
        super("kvm: " + what + " failed: " + Kvm.errno(errno));
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
