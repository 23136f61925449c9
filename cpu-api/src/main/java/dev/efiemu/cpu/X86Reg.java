package dev.efiemu.cpu;

/** x86_64 registers the firmware model and the debugger need. Descriptor tables go through {@link Cpu#descriptorTable}. */
public enum X86Reg implements Reg {
    RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP,
    R8, R9, R10, R11, R12, R13, R14, R15,
    RIP, RFLAGS,
    CS, SS, DS, ES, FS, GS,
    FS_BASE, GS_BASE,
    CR0, CR2, CR3, CR4, CR8,
    MXCSR;

    /** The general-purpose registers in the order the MS x64 ABI passes arguments. */
    public static final X86Reg[] ARGS = {RCX, RDX, R8, R9};

    @Override
    public Arch arch() {
        return Arch.X86_64;
    }
}
