package dev.efiemu.cli;

import dev.efiemu.core.Firmware;
import dev.efiemu.session.AtomicFile;
import dev.efiemu.session.BootError;
import dev.efiemu.session.BootReport;
import dev.efiemu.session.BootRequest;
import dev.efiemu.session.BootSession;
import dev.efiemu.session.Inputs;
import dev.efiemu.session.MachineLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code efiemu run PAYLOAD}: runs an EFI payload to ExitBootServices (or until it returns, exits, resets or faults). */
@Command(name = "run", description = "Run an EFI payload in the emulator until ExitBootServices.")
class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PAYLOAD",
            description = "the EFI application (UKI, EFI-stub kernel, ...); without it, \\EFI\\BOOT\\BOOTX64.EFI (BOOTAA64.EFI) of the first --disk that has it")
    Path payload;

    @Mixin
    BootOptions boot = new BootOptions();

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "1G", description = "RAM of the target machine (default ${DEFAULT-VALUE}; QEMU layouts)")
    String memory;

    @Option(names = "--trace", arity = "0..1", paramLabel = "NAMES", parameterConsumer = GdbOptions.TraceNames.class,
            description = "print service calls to stderr: all, or --trace=LoadImage,StartImage,ConOut (services or whole protocols)")
    String trace;

    @Option(names = "--trace-json", paramLabel = "FILE", description = "write every service call as one JSON object per line")
    Path traceJson;

    @Option(names = "--handoff", paramLabel = "FILE", description = "write the ExitBootServices state as a PVH ELF (boot it with qemu-system-x86_64 -kernel FILE)")
    Path handoff;

    @Option(names = "--handoff-json", paramLabel = "FILE", description = "write the hand-off manifest: segments, entry points, saved registers, memory map")
    Path handoffJson;

    @Option(names = {"--memmap", "--machine"}, paramLabel = "qemu|q35|virt|host|FILE", defaultValue = "qemu",
            description = "target memory map: QEMU's machine for the payload with --memory (default: q35 + SeaBIOS for x86_64, virt for AArch64, "
                    + "or the RAM of --dtb), this host's RAM (for kexec), or a file in /proc/iomem format")
    String memmap;

    @Option(names = "--dtb", paramLabel = "FILE", description = "AArch64: a device tree installed as the EFI DTB configuration table; its memory is "
            + "the machine's RAM (QEMU: -M virt,dumpdtb=FILE; an arm64 host: /sys/firmware/fdt)")
    Path dtb;

    @Option(names = "--kexec", description = "load the hand-off with kexec_load(2); then reboot into it with 'kexec -e'")
    boolean kexec;

    @Option(names = "--kexec-dry-run", description = "print the kexec segments and their validation against /proc/iomem (or the --memmap FILE); load nothing")
    boolean kexecDryRun;

    @Option(names = "--eventlog", paramLabel = "FILE", description = "write the TCG2 event log (binary, crypto-agile) of the run")
    Path eventlog;

    @Option(names = "--esp", paramLabel = "DIR", description = "a directory served as the EFI system partition (SimpleFileSystem); the payload's device")
    Path esp;

    @Option(names = "--esp-writable", description = "let the payload write to the ESP (writes are real)")
    boolean espWritable;

    @Option(names = "--esp-disk", description = "also serve the ESP as a read-only block device (FAT image; BlockIo/DiskIo) for payloads that read disks themselves, like GRUB")
    boolean espDisk;

    @Option(names = "--screenshot", paramLabel = "FILE.png", description = "write the screen (the Graphics Output Protocol's framebuffer) as a PNG file at the end of the run")
    Path screenshot;

    @Option(names = "--budget", paramLabel = "SECONDS", defaultValue = "120", description = "end a runaway guest after this much wall time (default ${DEFAULT-VALUE}; none with --gdb)")
    long budgetSeconds;

    @Option(names = "--gdb", paramLabel = "[HOST:]PORT", description = "serve the GDB remote protocol there and wait for gdb before the first instruction (debug: default 127.0.0.1:1234)")
    String gdb;

    @Option(names = "--gdb-detach-continue", description = "when gdb disconnects without detaching, let the run go on (default: it stops)")
    boolean gdbDetachContinue;

    @Override
    public Integer call() throws IOException {
        boolean iomemFile = kexecDryRun && !kexec && !MachineLayout.isHost(memmap) && MachineLayout.isFile(memmap);
        if ((kexec || kexecDryRun) && !MachineLayout.isHost(memmap) && !iomemFile) {
            throw new InputError("--kexec and --kexec-dry-run need --memmap host: the image must be laid out in this machine's RAM"
                    + " (a dry run also takes --memmap FILE, a machine's /proc/iomem)");
        }
        if (gdb != null) boot.engine = GdbOptions.engineFor(boot.engine);
        if (screenshot != null) {
            Path dir = screenshot.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir) || !Files.isWritable(dir)) throw new InputError("--screenshot " + screenshot + ": " + dir + " is not a writable directory");
        }
        if (payload == null && boot.disks.isEmpty()) throw new InputError("nothing to run: give a PAYLOAD, or a --disk to boot from");
        if (payload == null && esp != null) throw new InputError("--esp serves the PAYLOAD's device: give a PAYLOAD with it (or put the ESP on a --disk)");
        BootRequest req = request();
        PrintWriter json = null;
        try (BootSession session = BootSession.open(req)) {
            Firmware fw = session.firmware();
            if (trace != null) GdbOptions.trace(fw.machine(), trace, System.err);
            if (traceJson != null) {
                PrintWriter w = json = new PrintWriter(Files.newBufferedWriter(traceJson));
                fw.machine().traps().onCall(e -> w.println(TraceJson.of(e)));
            }
            dev.efiemu.debugger.gdb.GdbStub stub = GdbOptions.attach(fw.machine(), gdb, gdbDetachContinue);
            BootReport report;
            try {
                report = session.run();
            } catch (BootError e) {
                if (stub != null) stub.close();
                throw e;
            }
            if (stub != null) stub.finish(report.outcome());
            Summary.print(System.out, report);
            System.out.println("screen:         " + session.screenLine());
            if (screenshot != null) session.screenshot(screenshot);
            if (eventlog != null) {
                byte[] bytes = session.eventLog();
                AtomicFile.write(eventlog, o -> o.write(bytes));
            }
            if (HandoffOutput.wanted(handoff, handoffJson, kexec, kexecDryRun)) {
                int rc = HandoffOutput.write(session, report, handoff, handoffJson, kexec, kexecDryRun, iomemFile ? Path.of(memmap) : null,
                        System.out);
                if (rc != 0) return rc;
            }
            if (report.outcome().fault() != null) System.err.print(report.outcome().fault().format());
            return report.outcome().success() ? 0 : 1;
        } finally {
            if (json != null) json.close();
        }
    }

    /** The boot these options describe. */
    BootRequest request() {
        return boot.applyTo(BootRequest.of(payload).withInitrd(boot.initrd).withCmdline(boot.cmdline).withMemmap(memmap)
                .withMemory(Sizes.parse(memory)).withBudget(gdb != null ? 0 : budgetSeconds * 1000).withEsp(esp, espWritable, espDisk).withDtb(dtb));
    }

    static byte[] readInput(Path p, String what) {
        return Inputs.read(p, what);
    }

    /** A user input problem: one line, exit 1. */
    static final class InputError extends BootError {
        InputError(String m) {
            super(m);
        }
    }

}
