package dev.efiemu.cli;

import dev.efiemu.fixtures.FixtureFetcher;
import dev.efiemu.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code efiemu demo}: the main job on a built-in default. Fetches the real Debian fixtures (a
 * no-op once cached), runs the test UKI — systemd-stub 252 + the Debian cloud kernel + the marker
 * initrd — to ExitBootServices with a virtual ESP, prints the summary and writes the hand-off ELF.
 */
@Command(name = "demo", description = "Run the built-in demo: a real UKI to ExitBootServices (fetches fixtures first).")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Fixtures fx = Fixtures.cache();
        FixtureFetcher.debian(fx, line -> System.err.println("fixtures: " + line)).fetch(false);
        Path esp = fx.root().resolve("demo-esp");
        Files.createDirectories(esp.resolve("loader/credentials"));
        Path cred = esp.resolve("loader/credentials/demo.cred");
        if (!Files.exists(cred)) Files.writeString(cred, "efiemu demo credential\n");
        Path elf = fx.root().resolve("demo-handoff.elf");
        System.out.println("efiemu demo: " + fx.uki() + " (systemd-stub 252 + Debian cloud kernel) with ESP " + esp);
        int rc = new CommandLine(new RunCommand()).execute(fx.uki().toString(), "--esp", esp.toString(), "--seed", "1",
                "--handoff", elf.toString());
        if (rc == 0) {
            System.out.println();
            System.out.println("Boot the hand-off in QEMU (it prints the initrd's marker and powers off):");
            System.out.println("  qemu-system-x86_64 -accel tcg -M q35 -m 1G -nographic -nodefaults -serial stdio -no-reboot -kernel " + elf);
        }
        return rc;
    }
}
