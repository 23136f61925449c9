package dev.efiemu.cpu;

import dev.efiemu.nativebridge.unicorn.UnicornCpu;
import dev.efiemu.nativebridge.unicorn.UnicornLibrary;

/** Creates CPUs. The single place that decides which engine backs {@link Cpu}. */
public final class Cpus {
    private Cpus() {}

    /** A new CPU with no memory mapped. */
    public static Cpu open(Arch arch) {
        return new UnicornCpu(arch);
    }

    /** Diagnostic entry point: prints the engine that would run guests, or the reason none loads (exit 1). */
    public static void main(String[] args) {
        try {
            System.out.println(engine());
        } catch (EngineUnavailableException e) {
            System.err.println("efiemu: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Loads the engine library (once) and describes it; throws {@link EngineUnavailableException} if none loads. */
    public static EngineInfo engine() {
        return UnicornLibrary.load();
    }
}
