package dev.efiemu.engine.unicorn;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.CpuEngine;
import dev.efiemu.cpu.EngineUnavailableException;

/** The Unicorn 2 engine, registered with {@link java.util.ServiceLoader}. Available when {@link UnicornLibrary} loads a library. */
public final class UnicornEngine implements CpuEngine {
    @Override
    public String name() {
        return "unicorn";
    }

    @Override
    public boolean supports(Arch arch) {
        return arch == Arch.X86_64 || arch == Arch.AARCH64;
    }

    @Override
    public Availability availability() {
        try {
            return Availability.available(UnicornLibrary.load());
        } catch (EngineUnavailableException e) {
            return Availability.unavailable(e.getMessage());
        } catch (LinkageError e) { // JNA itself missing or broken
            return Availability.unavailable("cannot load the Unicorn binding (JNA): " + e);
        }
    }

    @Override
    public Cpu open(Arch arch) {
        return new UnicornCpu(arch);
    }
}
