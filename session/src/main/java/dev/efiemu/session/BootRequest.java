package dev.efiemu.session;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a boot needs, supplied by the caller (the command line, a test, the kexec lab):
 * the payload and what it is given, the machine it runs on, its disks and keys, its TPM, and how
 * the run is bounded. Nothing here is read from globals; {@link BootSession#open} checks it.
 *
 * @param payload      the EFI application (UKI, EFI-stub kernel, shim, ...), or null to boot from {@code disks} like a boot manager
 * @param initrd       served through the LINUX_EFI_INITRD_MEDIA LoadFile2 device path, or null
 * @param cmdline      the payload's LoadOptions, or null
 * @param memmap       {@code qemu}: QEMU's machine for the payload's architecture (q35 + SeaBIOS, or virt; with
 *                     {@code memoryBytes}), {@code q35} or {@code virt} by name, {@code host} (this machine: kexec),
 *                     or a /proc/iomem-format file
 * @param memoryBytes  RAM of the QEMU presets
 * @param seed         makes the run reproducible (RNG, clock, TSC, allocations), or null
 * @param budgetMillis wall time after which a runaway guest is ended with a report (0 = none)
 * @param esp          a directory served as the EFI system partition, or null (the payload's own directory is then served read-only)
 * @param espWritable  let the payload write to the ESP
 * @param espDisk      also serve the ESP as a read-only block device (GPT disk + FAT partition)
 * @param keys         key presses ConIn delivers, or null
 * @param vars         an OVMF VARS file or efiemu's own variable store file, or null
 * @param secureBoot   enforce Secure Boot with keys from {@code db}/{@code dbx}/{@code vars}
 * @param db           allowed certificates / signature lists
 * @param dbx          forbidden certificates / hashes
 * @param console      where the payload's console output goes
 * @param dtb          a flattened device tree installed as the EFI DTB configuration table (AArch64), or null;
 *                     with the {@code qemu} memory map its memory nodes are the machine's RAM
 * @param tpm          {@code virtual} (efiemu's PCRs), a TPM 2.0 device ({@code /dev/tpmrm0}) or {@code swtpm:HOST:PORT}
 * @param tpmLog       the event log that already describes the TPM's PCRs (a device TPM defaults to
 *                     the host's binary_bios_measurements), or null
 * @param engine       the CPU engine: {@code auto} (KVM where /dev/kvm works, else Unicorn), {@code unicorn} or {@code kvm}
 * @param disks        disk images (raw disks or ISO 9660) served read-only as block devices with their partitions and
 *                     FAT file systems; with no {@code payload}, the first that has \EFI\BOOT\BOOTX64.EFI (BOOTAA64.EFI) boots
 */
public record BootRequest(Path payload, Path initrd, String cmdline, String memmap, long memoryBytes, Long seed, long budgetMillis, Path esp, boolean espWritable, boolean espDisk, String keys, Path vars, boolean secureBoot, List<Path> db, List<Path> dbx, PrintStream console, Path dtb, String tpm, Path tpmLog, String engine, List<Path> disks) {
    public BootRequest {
        disks = List.copyOf(disks);
        if (engine == null || engine.isBlank()) engine = "auto";
        db = List.copyOf(db);
        dbx = List.copyOf(dbx);
    }

    /** A request for {@code payload} with the defaults of {@code efiemu run}: QEMU's machine with 1 GiB, a 120 s budget, console to stdout, the virtual TPM. */
    public static BootRequest of(Path payload) {
        return new BootRequest(payload, null, null, "qemu", 1L << 30, null, 120_000, null, false, false, null, null, false,
                List.of(), List.of(), System.out, null, "virtual", null, "auto", List.of());
    }

    public BootRequest withInitrd(Path p) {
        return new BootRequest(payload, p, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withCmdline(String c) {
        return new BootRequest(payload, initrd, c, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withMemmap(String m) {
        return new BootRequest(payload, initrd, cmdline, m, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withMemory(long bytes) {
        return new BootRequest(payload, initrd, cmdline, memmap, bytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withSeed(Long s) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, s, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withBudget(long millis) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, millis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withEsp(Path dir, boolean writable, boolean disk) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, dir, writable, disk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withKeys(String k) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, k, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withVariables(Path v) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, v, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withSecureBoot(boolean on, List<Path> allowed, List<Path> forbidden) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, on, allowed, forbidden, console, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withConsole(PrintStream out) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, out, dtb, tpm, tpmLog, engine, disks);
    }

    public BootRequest withDtb(Path d) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, d, tpm, tpmLog, engine, disks);
    }

    /** Runs on the CPU engine {@code name}: {@code auto}, {@code unicorn} or {@code kvm}. */
    public BootRequest withEngine(String name) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, name, disks);
    }

    public BootRequest withTpm(String spec, Path log) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, spec, log, engine, disks);
    }

    public BootRequest withDisks(List<Path> d) {
        return new BootRequest(payload, initrd, cmdline, memmap, memoryBytes, seed, budgetMillis, esp, espWritable, espDisk, keys, vars, secureBoot, db, dbx, console, dtb, tpm, tpmLog, engine, d);
    }
}
