package dev.efiemu.cli;

import dev.efiemu.fixtures.FixtureFetcher;
import dev.efiemu.fixtures.Fixtures;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code efiemu fixtures fetch|path}: the real payloads from Debian packages, in a cache outside the repository. */
@Command(name = "fixtures", mixinStandardHelpOptions = true, description = "Fetch and build the test fixtures (real Debian payloads, test UKI, zboot, initrd).",
        subcommands = {FixturesCommand.Fetch.class, FixturesCommand.PathCmd.class})
final class FixturesCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true, description = "Fill the cache (a no-op when complete): one line per file, then the cache path.")
    static final class Fetch implements Callable<Integer> {
        @Option(names = "--force", description = "Download and build everything again.")
        boolean force;

        @Override
        public Integer call() {
            Fixtures fx = Fixtures.cache();
            FixtureFetcher.Result r = FixtureFetcher.debian(fx, System.out::println).fetch(force);
            System.out.printf("fixtures: %s (%d files, %s in %.1f s)%n", r.root(), r.items().size(),
                    r.changed() ? "fetched" : "up to date", r.millis() / 1000.0);
            return 0;
        }
    }

    @Command(name = "path", mixinStandardHelpOptions = true, description = "Print the fixture cache directory.")
    static final class PathCmd implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(Fixtures.cache().root());
            return 0;
        }
    }
}
