package dev.efiemu.engine.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.efiemu.cpu.EngineInfo;
import dev.efiemu.cpu.EngineUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether KVM works here: /dev/kvm opens, speaks API 12, creates a VM and a vCPU, and a KVM_RUN
 * round trip (one HLT in real mode) comes back as KVM_EXIT_HLT. Every failure is one line with the
 * errno's meaning and what usually causes it.
 */
final class KvmProbe {
    /** System property (then environment variable {@code EFIEMU_KVM_DEVICE}) naming the device; /dev/kvm by default. */
    static final String DEVICE_PROPERTY = "efiemu.kvm.device";

    private KvmProbe() {}

    static String device() {
        String p = System.getProperty(DEVICE_PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv("EFIEMU_KVM_DEVICE");
        return p == null || p.isBlank() ? "/dev/kvm" : p;
    }

    /** Opens the KVM device and checks its API version; the fd is the caller's. */
    static int open(String device) {
        int fd;
        try {
            fd = Kvm.LibC.INSTANCE.open(device, Kvm.O_RDWR | Kvm.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new EngineUnavailableException("kvm: cannot open " + device + ": " + Kvm.errno(e.getErrorCode()) + openHint(e.getErrorCode()));
        }
        int version;
        try {
            version = Kvm.LibC.INSTANCE.ioctl(fd, new NativeLong(Kvm.GET_API_VERSION), new NativeLong(0));
        } catch (LastErrorException e) {
            close(fd);
            throw new EngineUnavailableException("kvm: " + device + " is not a KVM device: KVM_GET_API_VERSION failed: " + Kvm.errno(e.getErrorCode()));
        }
        if (version != Kvm.API_VERSION) {
            close(fd);
            throw new EngineUnavailableException("kvm: " + device + " speaks KVM API " + version + ", efiemu needs " + Kvm.API_VERSION);
        }
        return fd;
    }

    private static String openHint(int errno) {
        return switch (errno) {
            case 2 -> ": this host has no KVM (load kvm-intel or kvm-amd; inside a VM, nested virtualization must be on)";
            case 1, 13 -> ": no permission (run as root or as a member of the kvm group)";
            case 6, 19 -> ": the KVM module is loaded but this CPU offers no usable virtualization";
            default -> "";
        };
    }

    /** Probes the device; the engine's description, or {@link EngineUnavailableException} with one line. */
    static EngineInfo probe(String device) {
        int kvm = open(device);
        int vm = -1, vcpu = -1;
        Pointer page = null, run = null;
        long runSize = 0;
        try {
            check(kvm, Kvm.CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
            check(kvm, Kvm.CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID");
            check(kvm, Kvm.CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (Linux 4.11)");
            try {
                vm = Kvm.LibC.INSTANCE.ioctl(kvm, new NativeLong(Kvm.CREATE_VM), new NativeLong(0));
            } catch (LastErrorException e) {
                throw new EngineUnavailableException("kvm: KVM_CREATE_VM on " + device + " failed: " + Kvm.errno(e.getErrorCode())
                        + ": hardware virtualization is unusable here (off in the firmware, nested virtualization off, or held by another hypervisor)");
            }
            vcpu = Kvm.ioctl(vm, Kvm.CREATE_VCPU, 0, "KVM_CREATE_VCPU");
            runSize = Kvm.ioctl(kvm, Kvm.GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
            run = Kvm.LibC.INSTANCE.mmap(null, new NativeLong(runSize), Kvm.PROT_READ | Kvm.PROT_WRITE, Kvm.MAP_SHARED, vcpu, new NativeLong(0));
            page = Kvm.LibC.INSTANCE.mmap(null, new NativeLong(4096), Kvm.PROT_READ | Kvm.PROT_WRITE, Kvm.MAP_PRIVATE | Kvm.MAP_ANONYMOUS, -1,
                    new NativeLong(0));
            page.setByte(0, GuestRam.HLT);
            Memory region = new Memory(32);
            region.setInt(0, 0);
            region.setInt(4, 0);
            region.setLong(8, 0x1000);
            region.setLong(16, 4096);
            region.setLong(24, Pointer.nativeValue(page));
            Kvm.ioctl(vm, Kvm.SET_USER_MEMORY_REGION, region, "KVM_SET_USER_MEMORY_REGION");
            Memory sregs = new Memory(Layout.SREGS_SIZE);
            Kvm.ioctl(vcpu, Kvm.GET_SREGS, sregs, "KVM_GET_SREGS");
            sregs.setLong(Layout.CS + Layout.SEG_BASE, 0);
            sregs.setShort(Layout.CS + Layout.SEG_SELECTOR, (short) 0);
            Kvm.ioctl(vcpu, Kvm.SET_SREGS, sregs, "KVM_SET_SREGS");
            Memory regs = new Memory(Layout.REGS_SIZE);
            regs.clear();
            regs.setLong(Layout.RIP, 0x1000);
            regs.setLong(Layout.RFLAGS, 2);
            Kvm.ioctl(vcpu, Kvm.SET_REGS, regs, "KVM_SET_REGS");
            Kvm.ioctl(vcpu, Kvm.RUN, 0, "KVM_RUN");
            int reason = run.getInt(Layout.RUN_EXIT_REASON);
            if (reason != Kvm.EXIT_HLT) {
                throw new EngineUnavailableException("kvm: a KVM_RUN round trip on " + device + " ended with exit reason " + reason
                        + " instead of KVM_EXIT_HLT (" + Kvm.EXIT_HLT + ")");
            }
        } catch (KvmException e) {
            throw new EngineUnavailableException(e.getMessage() + " (probing " + device + ")");
        } catch (LastErrorException e) {
            throw new EngineUnavailableException("kvm: mmap while probing " + device + " failed: " + Kvm.errno(e.getErrorCode()));
        } finally {
            if (run != null) unmap(run, runSize);
            close(vcpu);
            close(vm);
            if (page != null) unmap(page, 4096);
            close(kvm);
        }
        EngineInfo info = new EngineInfo("kvm", "API " + Kvm.API_VERSION + ", Linux " + kernelRelease(), device, true, null);
        longModeRoundTrip(info, device);
        return info;
    }

    /**
     * The guest the firmware gives a payload, in miniature: long mode on the engine's own tables, an
     * SSE register move (what compiled payloads do first), then INT3 through the engine's IDT. A KVM
     * that runs real mode but not this (a paravirtual backend such as PVM inside some cloud VMs
     * emulates SSE instructions it cannot) is no KVM for efiemu.
     */
    static void longModeRoundTrip(EngineInfo info, String device) {
        byte[] code = {
            0x48, (byte) 0xc7, (byte) 0xc0, 0x2a, 0, 0, 0, // mov rax, 42
            0x66, 0x48, 0x0f, 0x6e, (byte) 0xc0, // movq xmm0, rax
            0x66, 0x48, 0x0f, 0x7e, (byte) 0xc3, // movq rbx, xmm0
            (byte) 0xf4, // hlt
            (byte) 0xcc, // int3
        };
        String what = "kvm: " + device + " runs real mode but not a 64-bit guest with SSE: ";
        try (KvmCpu cpu = new KvmCpu(info, device)) {
            long at = 0x100000;
            cpu.map(at, 0x10000, dev.efiemu.cpu.Perm.ALL);
            cpu.write(at, code);
            cpu.reg(dev.efiemu.cpu.X86Reg.CR0, cpu.reg(dev.efiemu.cpu.X86Reg.CR0) | 0x22); // MP, NE
            cpu.reg(dev.efiemu.cpu.X86Reg.CR4, cpu.reg(dev.efiemu.cpu.X86Reg.CR4) | 0x600); // OSFXSR, OSXMMEXCPT
            cpu.reg(dev.efiemu.cpu.X86Reg.RSP, at + 0x10000);
            dev.efiemu.cpu.RunResult r = cpu.run(at, dev.efiemu.cpu.Cpu.FOREVER);
            if (r.kind() != dev.efiemu.cpu.RunResult.Kind.UNTIL || cpu.reg(dev.efiemu.cpu.X86Reg.RBX) != 42) {
                throw new EngineUnavailableException(what + (r.detail() != null ? r.detail() : r.kind() + " with RBX = " + cpu.reg(dev.efiemu.cpu.X86Reg.RBX)));
            }
            int[] vector = {-1};
            cpu.onInterrupt((c, v) -> {
                vector[0] = v;
                c.stop();
            });
            r = cpu.run(at + code.length - 1, dev.efiemu.cpu.Cpu.FOREVER);
            if (vector[0] != 3 || cpu.reg(dev.efiemu.cpu.X86Reg.RIP) != at + code.length) {
                throw new EngineUnavailableException(what + "INT3 did not come back through the engine's IDT (" + r + ")");
            }
        } catch (KvmException e) {
            throw new EngineUnavailableException(what + e.getMessage() + backend());
        } catch (EngineUnavailableException e) {
            throw new EngineUnavailableException(e.getMessage() + backend());
        }
    }

    /** Names a KVM backend that is not the hardware one, when the kernel says so. */
    private static String backend() {
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm")) ? " (this kernel's KVM is kvm_pvm, a paravirtual backend)" : "";
    }

    private static void check(int kvm, int cap, String name) {
        int r = Kvm.ioctl(kvm, Kvm.CHECK_EXTENSION, cap, "KVM_CHECK_EXTENSION");
        if (r <= 0) throw new EngineUnavailableException("kvm: this kernel's KVM lacks " + name);
    }

    private static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void close(int fd) {
        if (fd < 0) return;
        try {
            Kvm.LibC.INSTANCE.close(fd);
        } catch (LastErrorException e) {
            // nothing to do
        }
    }

    private static void unmap(Pointer p, long size) {
        try {
            Kvm.LibC.INSTANCE.munmap(p, new NativeLong(size));
        } catch (LastErrorException e) {
            // nothing to do
        }
    }
}
