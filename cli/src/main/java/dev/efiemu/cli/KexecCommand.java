package dev.efiemu.cli;

import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.HostRuntimeServices;
import dev.efiemu.host.HostState;
import dev.efiemu.host.Kexec;
import dev.efiemu.session.BootEntries;
import dev.efiemu.session.BootError;
import dev.efiemu.session.BootReport;
import dev.efiemu.session.BootRequest;
import dev.efiemu.session.BootSession;
import dev.efiemu.session.HostRuntime;
import dev.efiemu.session.HostTables;
import dev.efiemu.session.KexecLoad;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code efiemu kexec [PAYLOAD]}: the kexec-tools / systemctl shape. Runs the payload on this host's
 * memory map to ExitBootServices and loads the hand-off with kexec_load (like {@code kexec -l});
 * {@code --exec} then reboots into it (like {@code kexec -e}). Without PAYLOAD it boots the ESP's
 * default entry the way systemd-boot chooses it; with {@code --disk} and neither PAYLOAD, {@code --esp}
 * nor {@code --entry}, it boots the disk's removable-media file (\EFI\BOOT\BOOTX64.EFI, UEFI spec
 * §3.5.1.1) as a firmware boot manager does, like {@code efiemu run --disk}. See docs/kexec.md and docs/disks.md.
 */
@Command(name = "kexec", description = {
    "Run an EFI payload on this host's memory map to ExitBootServices and load the result with kexec_load",
    "(then reboot into it with --exec, 'kexec -e' or 'systemctl kexec'). Without PAYLOAD: the ESP's default boot entry,",
    "or with --disk (and no --esp or --entry) the disk's \\EFI\\BOOT\\BOOTX64.EFI, as firmware boots removable media."})
final class KexecCommand implements Callable<Integer> {
    /** Where an ESP is mounted, in the order systemd looks (bootctl): the first with EFI/ or loader/ wins. */
    static final List<String> ESP_MOUNTS = List.of("/efi", "/boot", "/boot/efi");

    @Parameters(index = "0", arity = "0..1", paramLabel = "PAYLOAD",
            description = "the EFI application (UKI, EFI-stub kernel); default: the ESP's default entry, or with --disk the disk's \\EFI\\BOOT\\BOOTX64.EFI")
    Path payload;

    @Mixin
    BootOptions boot = new BootOptions();

    @Option(names = "--esp", paramLabel = "DIR", description = "the EFI system partition (default: the first of /efi, /boot, /boot/efi that has EFI/ or loader/)")
    Path esp;

    @Option(names = "--entry", paramLabel = "ID", description = "boot this entry of the ESP instead of the default (loader/entries/ID.conf or EFI/Linux/ID.efi)")
    String entry;

    @Option(names = "--exec", description = "reboot into the loaded image at once (like kexec -e: no clean shutdown; prefer systemctl kexec)")
    boolean exec;

    @Option(names = "--dry-run", description = "run and plan, print the segments and their validation; load nothing")
    boolean dryRun;

    @Option(names = "--memmap", paramLabel = "host|FILE", defaultValue = "host", hidden = true,
            description = "the memory map to lay the image out in (default: this host's)")
    String memmap;

    @Option(names = "--no-host-runtime", description = "do not pass the host firmware's EFI runtime services on to the next kernel (it then boots without them)")
    boolean noHostRuntime;

    @Option(names = "--budget", paramLabel = "SECONDS", defaultValue = "300", description = "end a runaway payload after this much wall time (default ${DEFAULT-VALUE})")
    long budgetSeconds;

    @Override
    public Integer call() throws IOException {
        Target t = target();
        if (!dryRun) {
            String refusal = HostState.read().refusal();
            if (refusal != null) throw new BootError(refusal);
        }
        Path joined = null;
        try {
            Path initrdFile = t.initrds().size() == 1 ? t.initrds().get(0) : null;
            if (t.initrds().size() > 1) initrdFile = joined = concatenate(t.initrds());
            System.out.println("efiemu kexec: " + t.describe());
            BootRequest req = boot.applyTo(BootRequest.of(t.payload()).withInitrd(initrdFile).withCmdline(t.cmdline()).withMemmap(memmap)
                    .withBudget(budgetSeconds * 1000).withEsp(t.esp(), false, false));
            try (BootSession session = BootSession.open(req)) {
                BootReport report = session.run();
                Summary.print(System.out, report);
                System.out.println("screen:         " + session.screenLine());
                if (!report.reachedExitBootServices()) {
                    if (report.outcome().fault() != null) System.err.print(report.outcome().fault().format());
                    throw new BootError(t.source() + ": the payload did not reach ExitBootServices (" + report.outcome().kind() + ": "
                            + report.outcome().message() + "); nothing loaded");
                }
                HostTables host = HostTables.ofThisHost();
                HostRuntimeServices.Host runtime = noHostRuntime ? null : HostRuntime.ofThisHost();
                HostRuntimeServices.Result[] passed = new HostRuntimeServices.Result[1];
                Handoff h = session.handoff(host, runtime, r -> passed[0] = r);
                System.out.println("runtime services: " + (passed[0] != null
                        ? String.format("the host firmware's, passed on (%d runtime regions, table at 0x%x; SETUP_EFI at 0x%x)",
                                runtime.regions().size(), runtime.runtimeTable(), passed[0].setupData())
                        : runtime == null ? (noHostRuntime ? "none after the kexec (--no-host-runtime)"
                                : "none after the kexec (the host was not booted through 64-bit EFI, or exports no runtime map)")
                        : "none after the kexec (the payload set up no Linux boot_params to pass them in)"));
                KexecLoad load = KexecLoad.plan(h, host);
                System.out.print(load.describe());
                if (!load.problems().isEmpty()) {
                    throw new BootError("the hand-off does not fit this host's memory (" + load.problems().get(0) + "); nothing loaded");
                }
                if (dryRun) {
                    System.out.println("dry run: nothing loaded");
                    return 0;
                }
                load.load();
                System.out.println("loaded: " + h.totalBytes() / 1024 + " KiB in " + load.plan().segments().size()
                        + " segments; boot it with 'systemctl kexec' (clean shutdown) or 'kexec -e' / 'efiemu kexec --exec' (immediate)");
            }
        } finally {
            if (joined != null) Files.deleteIfExists(joined);
        }
        if (exec) {
            System.out.println("executing the loaded image (reboot LINUX_REBOOT_CMD_KEXEC)");
            System.out.flush();
            try {
                Kexec.exec();
            } catch (IllegalStateException e) {
                throw new BootError(e.getMessage());
            }
        }
        return 0;
    }

    /** What to boot: the payload given, an entry of the ESP, or (payload null) the removable-media file of the first disk that has it. */
    record Target(Path payload, Path esp, List<Path> initrds, String cmdline, String entryId, List<Path> disks) {
        String describe() {
            return (entryId != null ? "entry " + entryId + " of " + esp + ": " : "") + source()
                    + (initrds.isEmpty() ? "" : " initrd " + initrds) + (cmdline != null ? " options \"" + cmdline + "\"" : "");
        }

        /** The payload, or for a disk boot the disks it is looked for on. */
        String source() {
            if (payload != null) return payload.toString();
            return "\\EFI\\BOOT\\BOOTX64.EFI of --disk " + String.join(", ", disks.stream().map(Path::toString).toList());
        }
    }

    Target target() {
        if (payload == null && esp == null && entry == null && !boot.disks.isEmpty()) {
            return new Target(null, null, boot.initrd != null ? List.of(boot.initrd) : List.of(), boot.cmdline, null, List.copyOf(boot.disks));
        }
        if (payload != null) {
            if (entry != null) throw new BootError("give either PAYLOAD or --entry, not both");
            return new Target(payload, esp, boot.initrd != null ? List.of(boot.initrd) : List.of(), boot.cmdline, null, List.copyOf(boot.disks));
        }
        Path dir = esp != null ? esp : findEsp();
        BootEntries entries = BootEntries.read(dir);
        BootEntries.Entry e = entry != null ? entries.find(entry) : entries.defaultEntry();
        List<Path> initrds = new ArrayList<>(e.initrds());
        if (boot.initrd != null) initrds.add(boot.initrd);
        return new Target(e.program(), dir, List.copyOf(initrds), boot.cmdline != null ? boot.cmdline : e.options(), e.id(), List.copyOf(boot.disks));
    }

    static Path findEsp() {
        for (String m : ESP_MOUNTS) {
            Path p = Path.of(m);
            if (Files.isDirectory(p.resolve("EFI")) || Files.isDirectory(p.resolve("loader"))) return p;
        }
        throw new BootError("no PAYLOAD and no ESP found at " + String.join(", ", ESP_MOUNTS) + ": give PAYLOAD, --esp DIR or --disk FILE");
    }

    private static Path concatenate(List<Path> files) throws IOException {
        Path out = Files.createTempFile("efiemu-initrd", ".img");
        try (OutputStream o = Files.newOutputStream(out)) {
            for (Path f : files) Files.copy(f, o);
        }
        return out;
    }
}
