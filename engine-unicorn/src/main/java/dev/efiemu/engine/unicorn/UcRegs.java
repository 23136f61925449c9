package dev.efiemu.engine.unicorn;

import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Reg;
import dev.efiemu.cpu.X86Reg;

/** Maps efiemu registers to Unicorn register ids (x86.h enum uc_x86_reg, arm64.h enum uc_arm64_reg; same in 2.0.1 and 2.1.4). */
final class UcRegs {
    static final int X86_MSR = 248;
    static final int X86_GDTR = 243;
    static final int X86_IDTR = 242;

    private UcRegs() {}

    static int id(Reg reg) {
        if (reg instanceof X86Reg x) return x86(x);
        return arm64((Arm64Reg) reg);
    }

    private static int x86(X86Reg r) {
        return switch (r) {
            case RAX -> 35;
            case RBX -> 37;
            case RCX -> 38;
            case RDX -> 40;
            case RSI -> 43;
            case RDI -> 39;
            case RBP -> 36;
            case RSP -> 44;
            case R8 -> 106;
            case R9 -> 107;
            case R10 -> 108;
            case R11 -> 109;
            case R12 -> 110;
            case R13 -> 111;
            case R14 -> 112;
            case R15 -> 113;
            case RIP -> 41;
            case RFLAGS -> 253;
            case CS -> 11;
            case SS -> 49;
            case DS -> 17;
            case ES -> 28;
            case FS -> 32;
            case GS -> 33;
            case FS_BASE -> 250;
            case GS_BASE -> 251;
            case CR0 -> 50;
            case CR2 -> 52;
            case CR3 -> 53;
            case CR4 -> 54;
            case CR8 -> 58;
            case MXCSR -> 249;
        };
    }

    private static int arm64(Arm64Reg r) {
        if (r.ordinal() <= Arm64Reg.X28.ordinal()) return 199 + r.ordinal();
        return switch (r) {
            case X29 -> 1;
            case X30 -> 2;
            case SP -> 4;
            case PC -> 260;
            case NZCV -> 3;
            case PSTATE -> 265;
            case CPACR_EL1 -> 261;
            case TTBR0_EL1 -> 274;
            case MAIR_EL1 -> 285;
            case VBAR_EL1 -> 287;
            case ELR_EL1 -> 267;
            case ESR_EL1 -> 277;
            case FAR_EL1 -> 281;
            case SP_EL0 -> 270;
            case SP_EL1 -> 271;
            case TPIDR_EL0 -> 262;
            case FPCR -> 291;
            case FPSR -> 292;
            default -> throw new AssertionError(r);
        };
    }
}
