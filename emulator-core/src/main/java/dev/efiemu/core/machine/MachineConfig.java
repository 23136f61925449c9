package dev.efiemu.core.machine;

import dev.efiemu.cpu.Arch;
import java.io.PrintStream;

/**
 * What machine to emulate.
 *
 * @param arch         guest architecture
 * @param memoryBytes  RAM size (the target machine's; default layout is QEMU q35 + SeaBIOS for x86_64,
 *                     QEMU virt for AArch64: {@link dev.efiemu.core.memory.PlatformLayout})
 * @param seed         seeds every random source the guest can see (EFI_RNG_PROTOCOL), or null for SecureRandom
 * @param console      where ConOut/StdErr text goes
 * @param budgetMillis wall-clock budget for guest execution before the run is ended with a report (0 = none)
 * @param layout       the target's physical memory map, or null for the QEMU preset of {@code memoryBytes}
 * @param engine       the CPU engine by name ({@code unicorn}, {@code kvm}) or {@code auto} (dev.efiemu.cpu.Cpus)
 */
public record MachineConfig(Arch arch, long memoryBytes, Long seed, PrintStream console, long budgetMillis,
                            java.util.function.Supplier<dev.efiemu.core.memory.MemoryMap> layout, String engine) {
    public MachineConfig {
        if (engine == null || engine.isBlank()) engine = dev.efiemu.cpu.Cpus.AUTO;
    }

    /** A configuration on the {@code auto} engine. */
    public MachineConfig(Arch arch, long memoryBytes, Long seed, PrintStream console, long budgetMillis,
                         java.util.function.Supplier<dev.efiemu.core.memory.MemoryMap> layout) {
        this(arch, memoryBytes, seed, console, budgetMillis, layout, dev.efiemu.cpu.Cpus.AUTO);
    }

    public static MachineConfig defaults() {
        return new MachineConfig(Arch.X86_64, 1L << 30, null, System.out, 0, null);
    }

    /** Runs on the engine named {@code name} ({@code auto}: the most preferred one available). */
    public MachineConfig withEngine(String name) {
        return new MachineConfig(arch, memoryBytes, seed, console, budgetMillis, layout, name);
    }

    /** The target's memory map: the given layout, else QEMU's machine for the architecture (q35, virt) with {@link #memoryBytes}. */
    public dev.efiemu.core.memory.MemoryMap memoryMap() {
        if (layout != null) return layout.get();
        return arch == Arch.AARCH64 ? dev.efiemu.core.memory.PlatformLayout.virt(memoryBytes)
                : dev.efiemu.core.memory.PlatformLayout.q35(memoryBytes);
    }

    /** Runs on a described machine (e.g. this host, for kexec) instead of the q35 preset. */
    public MachineConfig withLayout(java.util.function.Supplier<dev.efiemu.core.memory.MemoryMap> l) {
        return new MachineConfig(arch, memoryBytes, seed, console, budgetMillis, l, engine);
    }

    public MachineConfig withSeed(Long s) {
        return new MachineConfig(arch, memoryBytes, s, console, budgetMillis, layout, engine);
    }

    public MachineConfig withMemory(long bytes) {
        return new MachineConfig(arch, bytes, seed, console, budgetMillis, layout, engine);
    }

    public MachineConfig withConsole(PrintStream out) {
        return new MachineConfig(arch, memoryBytes, seed, out, budgetMillis, layout, engine);
    }

    public MachineConfig withBudget(long millis) {
        return new MachineConfig(arch, memoryBytes, seed, console, millis, layout, engine);
    }

    public MachineConfig withArch(Arch a) {
        return new MachineConfig(a, memoryBytes, seed, console, budgetMillis, layout, engine);
    }
}
