package dev.efiemu.engine.unicorn;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.Perm;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the guest-code tests share: a fresh engine per test (whichever the JVM loaded: the fast 2.1.4,
 * or 2.0.1 in the fallback run), 64 MiB of memory from address 0 with every permission, the stack
 * below {@link #STACK_TOP}, and the test's code at {@link #CODE}, ended by a last instruction
 * labelled {@code hlt_here} (x86_64 {@code hlt}) or {@code end_here} (AArch64 {@code nop}) where the
 * run stops.
 */
abstract class GuestTest {
    static final long CODE = 0x10000;
    static final long DATA = 0x200000;
    static final long STUBS = 0x300000;
    static final long STACK_TOP = 0x400000;
    /** EFI_UNSUPPORTED, what every service stub answers (UEFI spec Appendix D). */
    static final long EFI_UNSUPPORTED = 0x8000000000000003L;

    final Arch arch;
    Cpu cpu;

    GuestTest(Arch arch) {
        this.arch = arch;
    }

    @BeforeEach
    void open() {
        cpu = Cpus.open(arch);
        cpu.map(0, 64L << 20, Perm.ALL);
        cpu.reg(arch == Arch.X86_64 ? X86Reg.RSP : Arm64Reg.SP, STACK_TOP);
    }

    @AfterEach
    void close() {
        cpu.close();
    }

    /** Assembles {@code asm} and its last instruction at {@link #CODE}; returns that instruction's address, where a run ends. */
    long load(String asm) {
        boolean x86 = arch == Arch.X86_64;
        byte[] code = Asm.assemble(arch, asm + (x86 ? "\nhlt_here: hlt\n" : "\nend_here: nop\n"));
        cpu.write(CODE, code);
        return CODE + code.length - (x86 ? 1 : 4);
    }

    /** Runs {@code asm} from {@link #CODE} to its last instruction. */
    RunResult runCode(String asm) {
        return cpu.run(CODE, load(asm));
    }
}
