package dev.efiemu.cli;

import dev.efiemu.cli.bench.EngineBench;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpus;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code efiemu bench engine}: engine micro-benchmarks, one "arch<TAB>metric<TAB>value" line each (bench/ scripts tabulate). */
@Command(name = "bench", description = "Benchmarks (used by the scripts in bench/).", subcommands = {BenchCommand.Engine.class})
final class BenchCommand {
    @Command(name = "engine", description = "CPU engine micro-benchmarks on the loaded engine.")
    static final class Engine implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println("engine\t" + Cpus.engine());
            for (Arch arch : Arch.values()) {
                for (Map.Entry<String, Double> e : EngineBench.run(arch).entrySet()) {
                    System.out.printf("%s\t%s\t%.3f%n", arch.name().toLowerCase(), e.getKey(), e.getValue());
                }
            }
            return 0;
        }
    }
}
