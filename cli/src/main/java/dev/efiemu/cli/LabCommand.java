package dev.efiemu.cli;

import dev.efiemu.fixtures.FixtureFetcher;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.lab.LabGuest;
import dev.efiemu.fixtures.lab.LabImage;
import dev.efiemu.fixtures.lab.Scenario;
import dev.efiemu.session.BootError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code efiemu lab [options] -- COMMAND...}: runs a shell command inside the kexec lab's guest (a
 * QEMU TCG machine with this efiemu in its initramfs), where kexec is safe to try; prints the
 * guest's serial console. The command may end in a kexec: the boot then ends when the next
 * kernel's initrd prints the marker, or powers off. See docs/kexec.md.
 */
@Command(name = "lab", description = {
    "Run a shell command in the kexec lab: a QEMU TCG guest with this efiemu, where kexec is safe.",
    "Example: efiemu lab --file /uki.efi=uki.efi -- efiemu kexec /uki.efi --exec"})
final class LabCommand implements Callable<Integer> {
    @Option(names = "--memory", defaultValue = "3G", description = "guest RAM, QEMU -m syntax (default ${DEFAULT-VALUE})")
    String memory;

    @Option(names = "--cpu", defaultValue = "max", description = "QEMU -cpu (max is AMD under TCG; max,vendor=GenuineIntel; default ${DEFAULT-VALUE})")
    String cpu;

    @Option(names = "--firmware", defaultValue = "seabios", description = "seabios (a BIOS host) or ovmf (an EFI host); default ${DEFAULT-VALUE}")
    String firmware;

    @Option(names = "--tpm", description = "give the guest a TPM 2.0 (a fresh swtpm on a CRB interface)")
    boolean tpm;

    @Option(names = "--file", paramLabel = "GUEST=HOST", description = "put a host file into the guest (repeatable)")
    List<String> files = new ArrayList<>();

    @Option(names = "--append", defaultValue = "quiet", description = "lab kernel command line (default ${DEFAULT-VALUE})")
    String append;

    @Option(names = "--timeout", defaultValue = "300", description = "seconds before the guest is stopped (default ${DEFAULT-VALUE})")
    long timeout;

    @Option(names = "--jar", description = "the efiemu jar to put in the guest (default: this one)")
    Path jar;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "shell command run as root in the guest")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        LabGuest.Firmware fwType = switch (firmware) {
            case "seabios" -> LabGuest.Firmware.SEABIOS;
            case "ovmf" -> LabGuest.Firmware.OVMF;
            default -> throw new BootError("--firmware " + firmware + ": seabios or ovmf");
        };
        Fixtures fx = Fixtures.cache();
        FixtureFetcher.debian(fx, line -> System.err.println("fixtures: " + line)).fetch(false);
        Path self = jar != null ? jar : Path.of(LabCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(self)) throw new BootError("--jar " + self + ": not a file (build it with ./efiemu or mvn package)");
        Scenario s = new Scenario();
        for (String f : files) {
            int eq = f.indexOf('=');
            if (eq <= 0) throw new BootError("--file " + f + ": expected GUEST=HOST");
            Path host = Path.of(f.substring(eq + 1));
            if (!Files.isRegularFile(host)) throw new BootError("--file " + f + ": " + host + " is not a file");
            s.file(f.substring(0, eq), host);
        }
        s.run(String.join(" ", command) + "\necho \"LAB-END command exit status $?\"");
        LabImage image = LabImage.cache(fx);
        Path base = image.base();
        Path app = image.app(self, LabImage.unicornLibrary(), LabImage.modules(fx));
        Path dir = Files.createTempDirectory("efiemu-lab-cmd");
        try {
            Path scenario = s.write(dir.resolve("scenario.cpio"));
            LabGuest.Machine m = new LabGuest.Machine(memory, cpu, fwType, tpm);
            System.err.println("efiemu lab: " + m.describe() + ", running: " + String.join(" ", command));
            LabGuest.Run r = new LabGuest(fx, List.of(base, app, scenario)).boot(m, append, l -> l.contains(Fixtures.MARKER),
                    Duration.ofSeconds(timeout), System.out::println);
            System.err.printf("efiemu lab: %s after %.1f s%n", r.ending(), r.seconds());
            return r.success() || r.ending().contains("LAB-END command exit status 0") ? 0 : 1;
        } finally {
            Files.deleteIfExists(dir.resolve("scenario.cpio"));
            Files.deleteIfExists(dir);
        }
    }
}
