package dev.efiemu.core;

import dev.efiemu.cpu.Arch;
import java.io.PrintStream;

/**
 * What machine to emulate.
 *
 * @param arch         guest architecture
 * @param memoryBytes  RAM size (the target machine's; default layout is QEMU q35 + SeaBIOS, DESIGN.md §4)
 * @param seed         seeds every random source the guest can see (EFI_RNG_PROTOCOL), or null for SecureRandom
 * @param console      where ConOut/StdErr text goes
 * @param budgetMillis wall-clock budget for guest execution before the run is ended with a report (0 = none)
 */
public record MachineConfig(Arch arch, long memoryBytes, Long seed, PrintStream console, long budgetMillis) {
    public static MachineConfig defaults() {
        return new MachineConfig(Arch.X86_64, 1L << 30, null, System.out, 0);
    }

    public MachineConfig withSeed(Long s) {
        return new MachineConfig(arch, memoryBytes, s, console, budgetMillis);
    }

    public MachineConfig withMemory(long bytes) {
        return new MachineConfig(arch, bytes, seed, console, budgetMillis);
    }

    public MachineConfig withConsole(PrintStream out) {
        return new MachineConfig(arch, memoryBytes, seed, out, budgetMillis);
    }

    public MachineConfig withBudget(long millis) {
        return new MachineConfig(arch, memoryBytes, seed, console, millis);
    }

    public MachineConfig withArch(Arch a) {
        return new MachineConfig(a, memoryBytes, seed, console, budgetMillis);
    }
}
