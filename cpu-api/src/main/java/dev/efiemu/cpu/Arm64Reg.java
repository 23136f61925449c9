package dev.efiemu.cpu;

/** AArch64 registers: X0..X30 (X29 = FP, X30 = LR), SP, PC, flags and the EL1 system registers the Linux stub touches. */
public enum Arm64Reg implements Reg {
    X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
    X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30,
    SP, PC, NZCV, PSTATE,
    CPACR_EL1, TTBR0_EL1, MAIR_EL1, VBAR_EL1, ELR_EL1, ESR_EL1, FAR_EL1, SP_EL0, SP_EL1, TPIDR_EL0,
    FPCR, FPSR;

    /** AAPCS64 argument registers. */
    public static final Arm64Reg[] ARGS = {X0, X1, X2, X3, X4, X5, X6, X7};

    @Override
    public Arch arch() {
        return Arch.AARCH64;
    }

    public static Arm64Reg x(int n) {
        if (n < 0 || n > 30) throw new IllegalArgumentException("no register X" + n);
        return values()[n];
    }
}
