package dev.efiemu.cli.bench;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.Perm;
import dev.efiemu.cpu.Reg;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Engine micro-benchmarks (issue 2; docs/architecture.md, "Engine set-up"): register-loop
 * throughput, a 16 MiB byte-copy loop, 16 MiB {@code rep movsq} (x86), and the cost of one trapped
 * service call. Each figure is the best of a few runs after a warm-up run. Guest code is embedded
 * as bytes; the assembly is beside each (assembled with clang when written).
 */
public final class EngineBench {
    static final long CODE = 0x10000;
    static final long STUB = 0x20000;
    static final long SRC = 0x1000000;
    static final long DST = 0x2100000;
    static final int COPY = 16 << 20;
    static final int ROUNDS = 3;

    // x86_64: 1: add rax,rcx ; xor rdx,rax ; dec rcx ; jnz 1b ; hlt       (4 instructions a round)
    static final String X86_REG = "4801c84831c248ffc975f5f4";
    // x86_64: 1: mov al,[rsi] ; mov [rdi],al ; inc rsi ; inc rdi ; dec rcx ; jnz 1b ; hlt  (6 a byte)
    static final String X86_COPY = "8a06880748ffc648ffc748ffc975f1f4";
    // x86_64: rep movsq ; hlt
    static final String X86_MOVSQ = "f348a5f4";
    // x86_64: 1: call rbx ; dec r12 ; jnz 1b ; hlt
    static final String X86_TRAP = "ffd349ffcc75f9f4";
    // x86_64: movabs rax, 0x8000000000000003 ; ret       (a firmware service stub: EFI_UNSUPPORTED)
    static final String X86_STUB = "48b80300000000000080c3";
    // aarch64: 1: add x0,x0,x1 ; eor x2,x2,x0 ; subs x1,x1,#1 ; b.ne 1b ; nop
    static final String A64_REG = "0000018b420000ca210400f1a1ffff541f2003d5";
    // aarch64: 1: ldrb w3,[x1],#1 ; strb w3,[x2],#1 ; subs x4,x4,#1 ; b.ne 1b ; nop   (4 a byte)
    static final String A64_COPY = "2314403843140038840400f1a1ffff541f2003d5";
    // aarch64: 1: blr x8 ; subs x19,x19,#1 ; b.ne 1b ; nop
    static final String A64_TRAP = "00013fd6730600f1c1ffff541f2003d5";
    // aarch64: movz x0,#3 ; movk x0,#0x8000,lsl #48 ; ret
    static final String A64_STUB = "600080d20000f0f2c0035fd6";

    private EngineBench() {}

    /** Runs every benchmark for {@code arch}; keys are metric names, values the figures. */
    public static Map<String, Double> run(Arch arch) {
        Map<String, Double> out = new LinkedHashMap<>();
        try (Cpu cpu = Cpus.open(arch)) {
            cpu.map(0, 64L << 20, Perm.ALL);
            cpu.warmUp(CODE + 0x8000, SRC, 8192);
            boolean x86 = arch == Arch.X86_64;
            long regIters = 25_000_000;
            double s = best(cpu, x86 ? X86_REG : A64_REG, () -> {
                set(cpu, x86 ? X86Reg.RCX : Arm64Reg.X1, regIters);
            });
            out.put("register loop (M instr/s)", 4 * regIters / s / 1e6);
            s = best(cpu, x86 ? X86_COPY : A64_COPY, () -> {
                if (x86) {
                    set(cpu, X86Reg.RSI, SRC);
                    set(cpu, X86Reg.RDI, DST);
                    set(cpu, X86Reg.RCX, COPY);
                } else {
                    set(cpu, Arm64Reg.X1, SRC);
                    set(cpu, Arm64Reg.X2, DST);
                    set(cpu, Arm64Reg.X4, COPY);
                }
            });
            out.put("16 MiB byte copy (M instr/s)", (x86 ? 6.0 : 4.0) * COPY / s / 1e6);
            if (x86) {
                s = best(cpu, X86_MOVSQ, () -> {
                    set(cpu, X86Reg.RSI, SRC);
                    set(cpu, X86Reg.RDI, DST);
                    set(cpu, X86Reg.RCX, COPY / 8);
                    set(cpu, X86Reg.RFLAGS, 0x2);
                });
                out.put("16 MiB rep movsq (MB/s)", COPY / s / 1e6);
            }
            out.put("trapped call (us)", trapCost(cpu, x86));
        }
        return out;
    }

    private static double trapCost(Cpu cpu, boolean x86) {
        byte[] stub = HexFormat.of().parseHex(x86 ? X86_STUB : A64_STUB);
        cpu.write(STUB, stub);
        long ret = STUB + stub.length - (x86 ? 1 : 4);
        long[] calls = {0};
        cpu.onCode(ret, ret, (c, a, sz) -> {
            calls[0]++;
            c.reg(x86 ? X86Reg.RAX : Arm64Reg.X0, 0);
        });
        int n = 200_000;
        double s = best(cpu, x86 ? X86_TRAP : A64_TRAP, () -> {
            if (x86) {
                set(cpu, X86Reg.RBX, STUB);
                set(cpu, X86Reg.R12, n);
                set(cpu, X86Reg.RSP, 0x80000);
            } else {
                set(cpu, Arm64Reg.X8, STUB);
                set(cpu, Arm64Reg.X19, n);
                set(cpu, Arm64Reg.SP, 0x80000);
            }
        });
        if (calls[0] != (long) n * (ROUNDS + 1)) {
            throw new IllegalStateException("trap hook ran " + calls[0] + " times, expected " + n * (ROUNDS + 1));
        }
        return s / n * 1e6;
    }

    private static void set(Cpu cpu, Reg r, long v) {
        cpu.reg(r, v);
    }

    /** Best wall time in seconds of ROUNDS runs of {@code hex} (after one warm-up run). */
    private static double best(Cpu cpu, String hex, Runnable setup) {
        byte[] code = HexFormat.of().parseHex(hex);
        cpu.write(CODE, code);
        cpu.flushTranslations();
        long end = CODE + code.length - (hex.endsWith("f4") ? 1 : 4);
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= ROUNDS; i++) {
            setup.run();
            long t0 = System.nanoTime();
            RunResult r = cpu.run(CODE, end);
            long t1 = System.nanoTime();
            if (r.kind() != RunResult.Kind.UNTIL) throw new IllegalStateException("benchmark code ended with " + r);
            if (i > 0) best = Math.min(best, (t1 - t0) / 1e9);
        }
        return best;
    }
}
