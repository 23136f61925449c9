package dev.efiemu.session;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.boot.ImageServices;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.HostRuntimeServices;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.cpu.Arch;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.fdt.DeviceTree;
import dev.efiemu.loader.linux.ZbootImage;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.protocols.GraphicsOutput;
import dev.efiemu.protocols.StandardProtocols;
import dev.efiemu.protocols.fs.DiskDevices;
import dev.efiemu.protocols.fs.EspDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One boot of one payload: the firmware built for a {@link BootRequest}, the payload run in it, and
 * what can be made of the result (a {@link BootReport}, the hand-off). The command line's
 * {@code run}, {@code kexec}, {@code debug} and {@code demo}, the tests and the kexec lab all boot
 * through this class, so there is one recipe.
 *
 * <pre>
 *   try (BootSession s = BootSession.open(BootRequest.of(uki).withEsp(esp, false, false))) {
 *       BootReport r = s.run();
 *       Handoff h = s.handoff(HostTables.none());
 *   }
 * </pre>
 */
public final class BootSession implements AutoCloseable {
    private final BootRequest request;
    private final byte[] payload;
    /** The payload's file name (the removable-media boot file's, when it came from a disk). */
    private final String payloadName;
    /** The --disk images, opened and checked. */
    private final List<DiskDevices.Disk> disks;
    /** Where the payload was found when the request names none, else null. */
    private final DiskDevices.BootFile bootFile;
    private final Firmware fw;
    private final StandardProtocols std;
    private final FirmwareKeys keys;
    private final long openedNanos;
    private String noScreen;
    private RunOutcome outcome;
    private BootReport report;
    private boolean runtimePatched;

    private BootSession(BootRequest request, byte[] payload, String payloadName, List<DiskDevices.Disk> disks, DiskDevices.BootFile bootFile,
                        Firmware fw, StandardProtocols std, FirmwareKeys keys, long t0) {
        this.request = request;
        this.payload = payload;
        this.payloadName = payloadName;
        this.disks = disks;
        this.bootFile = bootFile;
        this.fw = fw;
        this.std = std;
        this.keys = keys;
        this.openedNanos = t0;
    }

    /**
     * Reads the inputs and builds the machine: firmware, consoles, RNG, TCG2, the initrd, variables
     * and Secure Boot keys. Under Secure Boot an image the db does not allow is refused here, before
     * a single guest instruction runs.
     *
     * @throws BootError for input problems and refusals (one line, nothing run)
     */
    public static BootSession open(BootRequest r) {
        return open(r, null);
    }

    /**
     * Like {@link #open(BootRequest)} on a memory map the caller builds (instead of {@code r.memmap()}),
     * for layouts no option names.
     */
    public static BootSession open(BootRequest r, java.util.function.Supplier<dev.efiemu.core.memory.MemoryMap> layoutOverride) {
        long t0 = System.nanoTime();
        List<DiskDevices.Disk> disks = openDisks(r.disks());
        try {
            return open(r, layoutOverride, disks, t0);
        } catch (RuntimeException e) {
            closeDisks(disks);
            throw e;
        }
    }

    private static BootSession open(BootRequest r, java.util.function.Supplier<dev.efiemu.core.memory.MemoryMap> layoutOverride,
                                    List<DiskDevices.Disk> disks, long t0) {
        DiskDevices.BootFile boot = null;
        byte[] file;
        String name;
        if (r.payload() != null) {
            file = Inputs.read(r.payload(), "payload");
            name = r.payload().getFileName().toString();
        } else {
            boot = bootFile(r, disks);
            file = boot.bytes();
            name = boot.path().substring(boot.path().lastIndexOf('\\') + 1);
        }
        java.nio.file.Path source = r.payload() != null ? r.payload() : java.nio.file.Path.of(boot.disk().file() + ":" + boot.path());
        byte[] initrd = r.initrd() != null ? Inputs.read(r.initrd(), "initrd") : null;
        if (ZbootImage.looksLikeZboot(file)) checkZboot(file, source);
        Arch arch = archOf(file);
        DeviceTree dtb = deviceTree(r, arch);
        MachineConfig cfg = MachineConfig.defaults().withArch(arch).withMemory(r.memoryBytes()).withSeed(r.seed())
                .withBudget(r.budgetMillis()).withConsole(r.console()).withEngine(r.engine());
        var layout = layoutOverride != null ? layoutOverride : MachineLayout.resolve(r.memmap(), arch, dtb);
        if (layout != null) cfg = cfg.withLayout(layout);
        EventLog log = TpmChoice.open(r.tpm(), r.tpmLog());
        Firmware fw;
        try {
            fw = new Firmware(cfg, PeImageFile::parse);
        } catch (RuntimeException e) {
            log.tpm().close();
            throw e;
        }
        try {
            if (dtb != null) installDeviceTree(fw, dtb);
            StandardProtocols std = StandardProtocols.install(fw, initrd, r.keys(), log);
            String noScreen = installScreen(fw, std, r, arch);
            FirmwareKeys keys = FirmwareKeys.apply(fw, r.vars(), r.secureBoot(), r.db(), r.dbx());
            if (keys.secureBoot() != null) {
                keys.secureBoot().onAuthority(std.measurements()::authority);
                String refusal = keys.secureBoot().refusal(file, name);
                if (refusal != null) throw new BootError(refusal);
            }
            BootSession s = new BootSession(r, file, name, disks, boot, fw, std, keys, t0);
            s.noScreen = noScreen;
            return s;
        } catch (IOException e) {
            fw.close();
            log.tpm().close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            fw.close();
            log.tpm().close();
            throw e;
        }
    }

    /** Opens and checks every --disk image: a corrupt table or FAT boot sector is one line naming the image and the offset. */
    static List<DiskDevices.Disk> openDisks(List<java.nio.file.Path> files) {
        List<DiskDevices.Disk> out = new ArrayList<>();
        try {
            for (java.nio.file.Path f : files) {
                if (java.nio.file.Files.isDirectory(f)) throw new BootError("--disk " + f + " is a directory (an ESP directory is --esp)");
                if (!java.nio.file.Files.isRegularFile(f) && !java.nio.file.Files.exists(f)) throw new BootError("--disk " + f + ": no such file");
                try {
                    out.add(DiskDevices.open(f));
                } catch (FormatException e) {
                    throw new BootError("--disk " + e.getMessage());
                } catch (IOException e) {
                    throw new BootError("--disk " + f + ": " + e.getMessage());
                }
            }
            return List.copyOf(out);
        } catch (RuntimeException e) {
            closeDisks(out);
            throw e;
        }
    }

    private static void closeDisks(List<DiskDevices.Disk> disks) {
        for (DiskDevices.Disk d : disks) {
            try {
                d.close();
            } catch (IOException e) {
                // read-only files: nothing to lose
            }
        }
    }

    /**
     * With no payload, what a firmware boot manager boots from removable media: \EFI\BOOT\BOOTX64.EFI,
     * else \EFI\BOOT\BOOTAA64.EFI, from the first disk (in --disk order) that has it.
     */
    static DiskDevices.BootFile bootFile(BootRequest r, List<DiskDevices.Disk> disks) {
        if (disks.isEmpty()) throw new BootError("no PAYLOAD and no --disk to boot from");
        try {
            for (String path : List.of(DiskDevices.BOOT_X64, DiskDevices.BOOT_AA64)) {
                DiskDevices.BootFile b = DiskDevices.findBoot(disks, path);
                if (b != null) return b;
            }
        } catch (FormatException e) {
            throw new BootError("--disk " + e.getMessage());
        }
        throw new BootError("no PAYLOAD, and no --disk has " + DiskDevices.BOOT_X64 + " or " + DiskDevices.BOOT_AA64 + " on a FAT file system");
    }

    /**
     * The Graphics Output Protocol of an x86_64 machine: QEMU's std VGA modes in reserved RAM, or
     * under {@code --memmap host} this host's real framebuffer ({@link HostFramebuffer}), so the
     * next kernel's screen_info points at the real screen. Returns why there is none, or null.
     */
    static String installScreen(Firmware fw, StandardProtocols std, BootRequest r, Arch arch) {
        if (arch != Arch.X86_64) return "no Graphics Output Protocol on " + arch + " machines yet";
        GraphicsOutput.Screen screen;
        if (MachineLayout.isHost(r.memmap())) {
            HostFramebuffer.Found host = HostFramebuffer.read();
            if (host.screen() == null) return "no Graphics Output Protocol: " + host.why();
            screen = host.screen();
        } else {
            screen = GraphicsOutput.Screen.qemu();
        }
        GraphicsOutput.install(fw, std.conOut().handle(), screen);
        return null;
    }

    /**
     * Writes the screen (the framebuffer of the payload's last graphics mode) as a PNG file.
     *
     * @throws BootError when the machine has no screen or the file cannot be written
     */
    public void screenshot(java.nio.file.Path png) {
        var fb = fw.machine().display().framebuffer();
        if (fb == null) throw new BootError("--screenshot " + png + ": " + (noScreen != null ? noScreen : "the machine has no framebuffer"));
        try {
            fb.writePng(fw.memory(), png);
        } catch (IOException e) {
            throw new BootError("--screenshot " + png + ": cannot write: " + e.getMessage());
        }
    }

    /** The screen for a summary: "800x600 BGRX framebuffer at 0x3fa71000 (800 pixels a scan line)", or why there is none. */
    public String screenLine() {
        var fb = fw.machine().display().framebuffer();
        return fb != null ? fb.describe() : noScreen != null ? noScreen : "no framebuffer";
    }

    /** Why this machine has no Graphics Output Protocol, or null when it has one. */
    public String noScreen() {
        return noScreen;
    }

    /**
     * An EFI zboot payload is checked on the host before its own decompressor runs: a truncated
     * file or a payload that does not decompress is one line naming the file, not a guest failure.
     */
    static void checkZboot(byte[] file, java.nio.file.Path path) {
        try {
            ZbootImage.parse(file).decompress(file);
        } catch (FormatException e) {
            throw new BootError("payload " + path + ": EFI zboot image: " + e.getMessage());
        }
    }

    /** Where an arm64 Linux host exports the device tree it booted with (the firmware's, or the stub's). */
    static final java.nio.file.Path HOST_FDT = java.nio.file.Path.of("/sys/firmware/fdt");

    static DeviceTree deviceTree(BootRequest r, Arch arch) {
        return deviceTree(r, arch, HOST_FDT);
    }

    /**
     * The request's device tree, read and checked (one line for a file that is not one), or null.
     * An AArch64 payload on this host's memory map ({@code --memmap host}) gets the host's own
     * tree ({@code hostFdt}) when none is given.
     */
    static DeviceTree deviceTree(BootRequest r, Arch arch, java.nio.file.Path hostFdt) {
        java.nio.file.Path file = r.dtb();
        if (file == null && arch == Arch.AARCH64 && MachineLayout.isHost(r.memmap()) && java.nio.file.Files.isRegularFile(hostFdt)) {
            file = hostFdt;
        }
        if (file == null) return null;
        byte[] b = Inputs.read(file, "--dtb");
        if (arch != Arch.AARCH64) throw new BootError("--dtb " + file + ": a device tree is for AArch64 payloads; this one is " + arch);
        try {
            return DeviceTree.parse(b);
        } catch (FormatException e) {
            throw new BootError("--dtb " + file + ": " + e.getMessage());
        }
    }

    /**
     * The device tree as the EFI DTB configuration table (UEFI §4.6.1.3, EFI_DTB_TABLE_GUID), in
     * boot-services data as edk2's ArmVirtPkg keeps it: the Linux stub copies it, adds /chosen
     * (command line, initrd, the EFI memory map and system table) and hands the copy to the kernel.
     */
    private static void installDeviceTree(Firmware fw, DeviceTree dtb) {
        long pages = (dtb.bytes().length + MemoryMap.PAGE - 1) / MemoryMap.PAGE;
        long at = fw.machine().memoryMap().allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.BOOT_SERVICES_DATA.code(), pages, 0);
        fw.memory().fill(at, pages * MemoryMap.PAGE, 0);
        fw.memory().write(at, dtb.bytes());
        fw.installConfigTable(Guids.DTB_TABLE, at);
    }

    /**
     * The machine follows the payload: an AArch64 PE gets an AArch64 machine; anything else is the
     * loader's to refuse. Read from the COFF header alone: the image is parsed once, by LoadImage.
     */
    static Arch archOf(byte[] file) {
        try {
            return Arch.fromPeMachine(PeImage.machineOf(file));
        } catch (RuntimeException e) {
            return Arch.X86_64;
        }
    }

    /** The firmware, for what a front end attaches before the run (trace printers, a debugger). */
    public Firmware firmware() {
        return fw;
    }

    /** The protocols every machine has (console, TCG2 with its event log). */
    public StandardProtocols protocols() {
        return std;
    }

    /**
     * Runs the payload from its entry point until it exits the boot services, returns, resets,
     * faults or runs out of budget; then writes the payload's variables back to efiemu's own
     * variable store (if one was given).
     *
     * @throws BootError when the payload cannot be loaded at all (not a PE image, wrong machine)
     */
    public BootReport run() {
        if (report != null) throw new IllegalStateException("this session has run");
        long t1 = System.nanoTime();
        long c1 = threadCpuNanos();
        try {
            EspDevice.Placement where = request.payload() != null
                    ? EspDevice.servePayload(fw, request.esp(), request.espWritable(), request.payload(), request.espDisk())
                    : null;
            long device = where != null ? where.device() : 0;
            String path = where != null ? where.path() : bootFile.path();
            for (int i = 0; i < disks.size(); i++) {
                DiskDevices.Installed in = DiskDevices.install(fw, i, disks.get(i));
                if (bootFile != null && bootFile.disk() == disks.get(i)) {
                    device = in.volumes().get(disks.get(i).volumes().indexOf(bootFile.volume())).address();
                    if (disks.get(i).layout().gpt() != null && bootFile.volume().partition() != null) {
                        std.measurements().servedDisk(disks.get(i).layout().gpt().gptData());
                    }
                }
            }
            if (where != null && where.gpt() != null) std.measurements().servedDisk(where.gpt());
            outcome = fw.runPayload(payload, payloadName, request.cmdline(), device, DevicePath.filePath(path));
        } catch (ImageServices.LoadFailure e) {
            throw new BootError("cannot load " + (request.payload() != null ? request.payload() : bootFile.disk().file() + ":" + bootFile.path())
                    + ": " + e.getMessage());
        } catch (IOException e) {
            throw new BootError("--esp " + request.esp() + ": " + e.getMessage());
        }
        long t2 = System.nanoTime();
        long c2 = threadCpuNanos();
        try {
            keys.saveVariables(fw);
        } catch (IOException e) {
            throw new BootError("--vars " + request.vars() + ": cannot write the variable store: " + e.getMessage());
        }
        report = report(outcome, (t1 - openedNanos) / 1e9, (t2 - t1) / 1e9, c1 < 0 || c2 < 0 ? -1 : (c2 - c1) / 1e9);
        return report;
    }

    /** This thread's CPU time in ns, or -1 where the JVM cannot measure it. */
    private static long threadCpuNanos() {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : -1;
    }

    private BootReport report(RunOutcome o, double setup, double run, double runCpu) {
        Machine m = fw.machine();
        List<BootReport.Image> images = new ArrayList<>();
        for (var i : m.images()) images.add(new BootReport.Image(i.name(), i.base(), i.size(), i.entry()));
        Map<String, Long> tables = new LinkedHashMap<>();
        fw.tables().configTables().forEach((g, a) -> tables.put(Guids.name(g), a));
        List<String> vars = new ArrayList<>();
        for (VariableStore.Key k : fw.variables().writtenByPayload()) {
            var v = fw.variables().get(k.name(), k.vendor());
            vars.add(String.format("%s:%s (%s)", Guids.name(k.vendor()), k.name(), v == null ? "deleted" : v.data().length + " bytes"));
        }
        EventLog log = std.tcg2().log();
        Set<Integer> touched = new TreeSet<>();
        for (var e : log.events()) touched.add(e.pcr());
        List<BootReport.Pcr> pcrs = new ArrayList<>();
        for (int pcr : touched) {
            for (var bank : log.banks()) pcrs.add(new BootReport.Pcr(pcr, bank.name().toLowerCase(), HexFormat.of().formatHex(log.pcr(bank, pcr))));
        }
        return new BootReport(o, setup, run, runCpu, String.valueOf(m.cpu().engine()), m.trace().total(), List.copyOf(images),
                m.memoryMap().bytesByType(), tables, List.copyOf(vars), new LinkedHashMap<>(m.traps().unsupportedCalls()), List.copyOf(pcrs),
                log.events().size(), m.backing().bytes(), log.tpm().describe(), std.tcg2().deviceErrors(), m.engineFallback());
    }

    /** The report of the run (after {@link #run}). */
    public BootReport report() {
        if (report == null) throw new IllegalStateException("not run yet");
        return report;
    }

    /** The TCG2 event log the payload built, crypto-agile binary format. */
    public byte[] eventLog() {
        return std.tcg2().log().bytes();
    }

    /**
     * The bootable hand-off of the ExitBootServices state: segments and the trampoline entries,
     * with the host's ACPI and SMBIOS addresses filled in for a kexec hand-off.
     *
     * @throws BootError when there is none (the payload did not reach ExitBootServices, or the architecture has no hand-off yet)
     */
    public Handoff handoff(HostTables host) {
        return handoff(host, null);
    }

    /**
     * The hand-off for this host's next kernel: like {@link #handoff(HostTables)}, and when
     * {@code runtime} is given (an EFI-booted host), the host firmware's runtime services are passed
     * on to the next kernel as a kexec-tools kexec does ({@link HostRuntimeServices}).
     */
    public Handoff handoff(HostTables host, HostRuntimeServices.Host runtime) {
        return handoff(host, runtime, null);
    }

    /** As above; {@code passedOn} receives what was done for the runtime services (null: nothing). */
    public Handoff handoff(HostTables host, HostRuntimeServices.Host runtime, java.util.function.Consumer<HostRuntimeServices.Result> passedOn) {
        if (outcome == null || outcome.kind() != RunOutcome.Kind.EXIT_BOOT_SERVICES) {
            throw new BootError("no hand-off: the payload did not reach ExitBootServices");
        }
        if (fw.aarch64Trampoline() != null) {
            // The next kernel finds ACPI/SMBIOS (a host's) and the runtime services through the system table the
            // payload was given: the host's are not passed on for AArch64 (docs/handoff.md).
            return Handoff.capture(fw.memory(), fw.aarch64Trampoline(), outcome.handoff());
        }
        if (runtime != null && !runtimePatched) {
            HostRuntimeServices.Result r = HostRuntimeServices.apply(fw.memory(), fw.tables(), fw.trampoline(), outcome.handoff(), runtime);
            runtimePatched = true;
            if (passedOn != null) passedOn.accept(r);
        }
        return Handoff.capture(fw.memory(), fw.tables(), fw.trampoline(), outcome.handoff(), host.acpi20(), host.smbios());
    }

    @Override
    public void close() {
        fw.close();
        closeDisks(disks);
        std.tcg2().log().tpm().close();
    }
}
