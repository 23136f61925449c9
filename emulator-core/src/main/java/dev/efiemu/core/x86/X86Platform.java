package dev.efiemu.core.x86;

import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.X86Reg;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The x86_64 CPU as firmware leaves it for a payload: SSE enabled, a flat GDT, and a modest,
 * consistent CPUID. Unicorn's own CPUID feature bits are broken (no FPU/TSC/MSR/PAE in leaf 1),
 * which makes the Linux stub's KASLR code find neither RDRAND nor a TSC, fall back to timer I/O
 * through NULL pointers and jump to address 0; so every leaf is
 * answered here. Port I/O reads as an absent device (all ones); writes are ignored.
 */
public final class X86Platform {
    private static final Logger log = LoggerFactory.getLogger(X86Platform.class);
    static final String VENDOR = "AuthenticAMD";
    static final String BRAND = "efiemu virtual x86_64 CPU";
    static final long CR0_MP = 0x2, CR0_NE = 0x20, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400;

    private X86Platform() {}

    /** @param clock the virtual clock (100 ns units) the virtual TSC counts on */
    public static void install(Machine m, LongSupplier clock) {
        Cpu cpu = m.cpu();
        // Flat GDT like edk2's: 0x08 32-bit code, 0x10 data, 0x38 64-bit code (values only matter to
        // code that reloads segments; the engine already runs in 64-bit mode).
        long gdt = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, 8 * 8);
        long[] entries = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, 0, 0, 0, 0, 0x00af9a000000ffffL};
        for (int i = 0; i < entries.length; i++) m.memory().u64(gdt + 8L * i, entries[i]);
        cpu.descriptorTable("GDTR", gdt, entries.length * 8 - 1);
        cpu.reg(X86Reg.CR0, cpu.reg(X86Reg.CR0) | CR0_MP | CR0_NE);
        cpu.reg(X86Reg.CR4, cpu.reg(X86Reg.CR4) | CR4_OSFXSR | CR4_OSXMMEXCPT);
        cpu.onCpuid(X86Platform::cpuid);
        // A virtual TSC: 1 GHz on the virtual clock, plus a step per read so it always advances.
        // The Linux stub mixes RDTSC into its KASLR seed; a host counter would make runs differ.
        long[] reads = {0};
        if (cpu.onRdtsc(c -> clock.getAsLong() * 100 + 1000 * ++reads[0]) == null) {
            log.warn("this engine cannot hook RDTSC: KASLR placement will vary between runs even with --seed");
        }
        cpu.onPortIn((c, port, size) -> {
            log.debug("in port 0x{} size {}", Integer.toHexString(port), size);
            return size >= 4 ? -1 : (1 << (8 * size)) - 1;
        });
        cpu.onPortOut((c, port, size, value) -> log.debug("out port 0x{} <- 0x{}", Integer.toHexString(port), Integer.toHexString(value)));
    }

    /** Answers CPUID like a plain qemu64-class CPU: TSC, SSE2, NX, long mode; no RDRAND, no LA57, no SEV, no XSAVE. */
    static boolean cpuid(Cpu c) {
        long leaf = c.reg(X86Reg.RAX) & 0xffffffffL;
        long sub = c.reg(X86Reg.RCX) & 0xffffffffL;
        long[] r = answer(leaf, sub);
        c.reg(X86Reg.RAX, r[0]);
        c.reg(X86Reg.RBX, r[1]);
        c.reg(X86Reg.RCX, r[2]);
        c.reg(X86Reg.RDX, r[3]);
        return true;
    }

    static long[] answer(long leaf, long sub) {
        if (leaf == 0) {
            int[] v = vendorWords();
            return new long[] {0xd, v[0], v[2], v[1]};
        }
        if (leaf == 1) {
            // family 6 model 6 stepping 3 (qemu64); EBX: CLFLUSH line 8*8, 1 logical CPU, APIC id 0.
            // ECX: SSE3, CX16, POPCNT, hypervisor. EDX: qemu64's 0x078bfbff (FPU..SSE2, TSC, MSR, PAE, APIC).
            return new long[] {0x663, 0x00010800, 0x80802001L, 0x078bfbffL};
        }
        if (leaf == 0x80000000L) return new long[] {0x80000008L, 0, 0, 0};
        if (leaf == 0x80000001L) return new long[] {0x663, 0, 0x1, 0x20100800};
        if (leaf >= 0x80000002L && leaf <= 0x80000004L) return brand((int) (leaf - 0x80000002L));
        if (leaf == 0x80000008L) return new long[] {0x3028, 0, 0, 0}; // 40 physical, 48 virtual address bits
        return new long[] {0, 0, 0, 0}; // leaf 7 and everything else: no extended features
    }

    private static int[] vendorWords() {
        byte[] b = VENDOR.getBytes(StandardCharsets.US_ASCII);
        int[] w = new int[3];
        for (int i = 0; i < 12; i++) w[i / 4] |= (b[i] & 0xff) << (8 * (i % 4));
        return w;
    }

    private static long[] brand(int part) {
        byte[] b = java.util.Arrays.copyOf(BRAND.getBytes(StandardCharsets.US_ASCII), 48);
        long[] r = new long[4];
        for (int i = 0; i < 16; i++) r[i / 4] |= (long) (b[16 * part + i] & 0xff) << (8 * (i % 4));
        return r;
    }
}
