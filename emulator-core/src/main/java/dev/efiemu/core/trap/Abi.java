package dev.efiemu.core.trap;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;

/**
 * The calling convention of the guest's firmware interface (UEFI spec §2.3.4 x64: Microsoft x64,
 * §2.3.6 AArch64: AAPCS64), as the trap dispatcher needs it: argument access at a stub's entry,
 * returning from a stub with a status, and calling guest functions from the host.
 */
public interface Abi {
    Arch arch();

    /**
     * The code of one service stub: what runs when nobody traps it (natively, after the hand-off):
     * it returns EFI_UNSUPPORTED. The emulator stops at the stub's first instruction and never runs it.
     */
    byte[] stubCode();

    /** The i-th integer argument of the call that just entered a stub (0-based; stack for i >= register count). */
    long arg(Cpu cpu, int i);

    /** Completes the stub's job: return to its caller with {@code status}. */
    void returnFromStub(Cpu cpu, long status);

    /** Where the call that just entered a stub will return to. */
    long returnAddress(Cpu cpu);

    /** The register file a host-initiated guest call must save and restore. */
    long[] saveRegisters(Cpu cpu);

    void restoreRegisters(Cpu cpu, long[] saved);

    /**
     * Sets up a call of {@code function(args...)} that returns to {@code returnTo}, with a stack
     * below the current one. Returns the program counter to start at.
     */
    long prepareCall(Cpu cpu, long function, long returnTo, long... args);

    /** The integer result register after a guest function returned. */
    long result(Cpu cpu);

    long pc(Cpu cpu);

    long sp(Cpu cpu);

    static Abi of(Arch arch) {
        return arch == Arch.X86_64 ? new X64Abi() : new Aarch64Abi();
    }
}
