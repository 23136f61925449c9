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

    /** Loads the engine library (once) and describes it; throws {@link EngineUnavailableException} if none loads. */
    public static EngineInfo engine() {
        return UnicornLibrary.load();
    }
}
