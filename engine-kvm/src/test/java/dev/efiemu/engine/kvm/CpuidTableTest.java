package dev.efiemu.engine.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.X86Reg;
import java.lang.reflect.Proxy;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table KVM gets: the firmware's CPUID answers for every leaf, feature words masked by what KVM supports. */
class CpuidTableTest {
    /** A Cpu with registers only (all the CPUID hook uses). */
    static Cpu registersOnly(Map<X86Reg, Long> regs) {
        return (Cpu) Proxy.newProxyInstance(Cpu.class.getClassLoader(), new Class<?>[] {Cpu.class}, (p, m, a) -> {
            if (m.getName().equals("reg") && a.length == 1) return regs.getOrDefault((X86Reg) a[0], 0L);
            if (m.getName().equals("reg") && a.length == 2) {
                regs.put((X86Reg) a[0], (Long) a[1]);
                return null;
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void everyLeafTheHookReportsMaskedByKvm() {
        Map<X86Reg, Long> regs = new EnumMap<>(X86Reg.class);
        regs.put(X86Reg.RAX, 0x1234L);
        Cpu cpu = registersOnly(regs);
        // The hook: basic leaves up to 1, extended up to 0x80000001, every feature bit set.
        CpuidTable table = CpuidTable.fromHook(cpu, c -> {
            long leaf = c.reg(X86Reg.RAX);
            long[] r = leaf == 0 ? new long[] {1, 0x68747541, 0x444d4163, 0x69746e65}
                    : leaf == 0x80000000L ? new long[] {0x80000001L, 0, 0, 0}
                    : new long[] {0x663, 0x10800, 0xffffffffL, 0xffffffffL};
            c.reg(X86Reg.RAX, r[0]);
            c.reg(X86Reg.RBX, r[1]);
            c.reg(X86Reg.RCX, r[2]);
            c.reg(X86Reg.RDX, r[3]);
            return true;
        }, new CpuidTable(List.of(new CpuidTable.Entry(1, 0, 0, 0, 0, 0x00802001, 0x078bfbff),
                new CpuidTable.Entry(0x80000001, 0, 0, 0, 0, 0x1, 0x20100800))));
        assertEquals(List.of(
                new CpuidTable.Entry(0, 0, 0, 1, 0x68747541, 0x444d4163, 0x69746e65),
                new CpuidTable.Entry(1, 0, 0, 0x663, 0x10800, 0x80802001, 0x078bfbff),
                new CpuidTable.Entry(0x80000000, 0, 0, 0x80000001, 0, 0, 0),
                new CpuidTable.Entry(0x80000001, 0, 0, 0x663, 0x10800, 0x1, 0x20100800)), table.entries);
        assertEquals(0x1234L, regs.get(X86Reg.RAX), "the registers are given back");
    }
}
