package dev.efiemu.cpu;

/** A guest register. Implemented by {@link X86Reg} and {@link Arm64Reg}. */
public sealed interface Reg permits X86Reg, Arm64Reg {
    Arch arch();

    String name();
}
