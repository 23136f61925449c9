package dev.efiemu.cli;

import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.EngineInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code efiemu engine}: which CPU engine would run the guest, and whether it is the fast one. */
@Command(name = "engine", description = "Show which CPU engine (Unicorn library) efiemu loads.")
final class EngineCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        EngineInfo e = Cpus.engine();
        System.out.println(e);
        return 0;
    }
}
