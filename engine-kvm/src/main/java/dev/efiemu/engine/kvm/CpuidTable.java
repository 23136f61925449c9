package dev.efiemu.engine.kvm;

import com.sun.jna.Memory;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.CpuHooks;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;

/**
 * The vCPU's CPUID table. KVM answers CPUID inside the kernel from a table given once with
 * KVM_SET_CPUID2, so the firmware's CPUID hook is asked for every leaf up front (the same answers
 * Unicorn gets one instruction at a time), and its feature bits are masked by
 * KVM_GET_SUPPORTED_CPUID: the guest is never told of a feature KVM cannot give it.
 */
final class CpuidTable {
    /** One kvm_cpuid_entry2. */
    record Entry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {}

    private static final int E2BIG = 7;
    final List<Entry> entries;

    CpuidTable(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** What KVM can give a guest on this host (KVM_GET_SUPPORTED_CPUID). */
    static CpuidTable supported(int kvmFd) {
        for (int n = 128; ; n *= 2) {
            Memory m = new Memory(Layout.CPUID2_HEADER + (long) n * Layout.CPUID_ENTRY);
            m.clear();
            m.setInt(0, n);
            try {
                Kvm.ioctl(kvmFd, Kvm.GET_SUPPORTED_CPUID, m, "KVM_GET_SUPPORTED_CPUID");
            } catch (KvmException e) {
                if (e.errno() == E2BIG && n < 4096) continue;
                throw e;
            }
            List<Entry> l = new ArrayList<>();
            for (int i = 0; i < m.getInt(0); i++) {
                long o = Layout.CPUID2_HEADER + (long) i * Layout.CPUID_ENTRY;
                l.add(new Entry(m.getInt(o), m.getInt(o + 4), m.getInt(o + 8), m.getInt(o + 12), m.getInt(o + 16), m.getInt(o + 20),
                        m.getInt(o + 24)));
            }
            return new CpuidTable(l);
        }
    }

    Entry find(int function, int index) {
        for (Entry e : entries) {
            if (e.function() == function && ((e.flags() & 1) == 0 || e.index() == index)) return e;
        }
        return null;
    }

    /**
     * The hook's answer for every basic and extended leaf it reports (registers of {@code cpu} are
     * used to ask it and restored), feature words masked by {@code supported}.
     */
    static CpuidTable fromHook(Cpu cpu, CpuHooks.Cpuid hook, CpuidTable supported) {
        X86Reg[] regs = {X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX};
        long[] saved = new long[4];
        for (int i = 0; i < 4; i++) saved[i] = cpu.reg(regs[i]);
        try {
            List<Entry> l = new ArrayList<>();
            for (int base : new int[] {0, 0x80000000}) {
                int max = ask(cpu, hook, supported, base)[0];
                int last = Integer.compareUnsigned(max, base + 0x40) > 0 || Integer.compareUnsigned(max, base) < 0 ? base : max;
                for (int leaf = base; Integer.compareUnsigned(leaf, last) <= 0; leaf++) {
                    int[] r = ask(cpu, hook, supported, leaf);
                    Entry s = supported.find(leaf, 0);
                    int sa = s == null ? 0 : s.eax(), sb = s == null ? 0 : s.ebx(), sc = s == null ? 0 : s.ecx(), sd = s == null ? 0 : s.edx();
                    if (leaf == 1) {
                        r[2] &= sc | 0x80000000; // the hypervisor bit is information, not a feature
                        r[3] &= sd;
                    } else if (leaf == 7 || leaf == 0x80000001) {
                        if (leaf == 7) r[1] &= sb;
                        r[2] &= sc;
                        r[3] &= sd;
                    }
                    l.add(new Entry(leaf, 0, 0, r[0], r[1], r[2], r[3]));
                }
            }
            return new CpuidTable(l);
        } finally {
            for (int i = 0; i < 4; i++) cpu.reg(regs[i], saved[i]);
        }
    }

    private static int[] ask(Cpu cpu, CpuHooks.Cpuid hook, CpuidTable supported, int leaf) {
        cpu.reg(X86Reg.RAX, leaf & 0xffffffffL);
        cpu.reg(X86Reg.RCX, 0);
        if (!hook.onCpuid(cpu)) {
            Entry s = supported.find(leaf, 0);
            return s == null ? new int[4] : new int[] {s.eax(), s.ebx(), s.ecx(), s.edx()};
        }
        return new int[] {(int) cpu.reg(X86Reg.RAX), (int) cpu.reg(X86Reg.RBX), (int) cpu.reg(X86Reg.RCX), (int) cpu.reg(X86Reg.RDX)};
    }

    /** Gives the table to the vCPU (before its first KVM_RUN). */
    void set(int vcpuFd) {
        Memory m = new Memory(Layout.CPUID2_HEADER + (long) entries.size() * Layout.CPUID_ENTRY);
        m.clear();
        m.setInt(0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            long o = Layout.CPUID2_HEADER + (long) i * Layout.CPUID_ENTRY;
            m.setInt(o, e.function());
            m.setInt(o + 4, e.index());
            m.setInt(o + 8, e.flags());
            m.setInt(o + 12, e.eax());
            m.setInt(o + 16, e.ebx());
            m.setInt(o + 20, e.ecx());
            m.setInt(o + 24, e.edx());
        }
        Kvm.ioctl(vcpuFd, Kvm.SET_CPUID2, m, "KVM_SET_CPUID2");
    }
}
