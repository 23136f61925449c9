package dev.efiemu.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The efiemu command line. Each subcommand is a small class of its own. */
@Command(
        name = "efiemu",
        mixinStandardHelpOptions = true,
        version = "efiemu 0.1.0",
        description = "Runs real, unmodified UEFI payloads (UKIs, EFI-stub kernels, shim, GRUB) in an emulated firmware.",
        subcommands = {DemoCommand.class, RunCommand.class, KexecCommand.class, LabCommand.class, MeasureCommand.class, DebugCommand.class, InspectCommand.class, EngineCommand.class, BenchCommand.class, FixturesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured picocli instance: usage errors exit 2; runtime failures exit 1 with one line, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("efiemu: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (Boolean.getBoolean("efiemu.debug")) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl;
    }
}
