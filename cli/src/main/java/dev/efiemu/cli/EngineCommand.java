package dev.efiemu.cli;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code efiemu engine}: which CPU engine would run an x86_64 guest, whether it is the fast one and,
 * for {@code auto}, why it passed over a more preferred engine (docs/kvm.md).
 */
@Command(name = "engine", description = "Show which CPU engine efiemu runs x86_64 guests on (--engine auto|unicorn|kvm).")
final class EngineCommand implements Callable<Integer> {
    @Option(names = "--engine", paramLabel = "auto|unicorn|kvm", defaultValue = "${env:EFIEMU_ENGINE:-auto}", description = "the engine to check (default ${DEFAULT-VALUE})")
    String engine;

    @Override
    public Integer call() {
        Cpus.Selected s = Cpus.choose(Arch.X86_64, engine);
        System.out.println(s.info());
        if (s.fallback() != null) System.out.println("engine note: --engine auto did not use " + s.fallback());
        return 0;
    }
}
