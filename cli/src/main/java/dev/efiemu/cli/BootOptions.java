package dev.efiemu.cli;

import dev.efiemu.session.BootRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options {@code run} (with {@code debug}) and {@code kexec} share: what a payload is given besides
 * itself — disks, initrd, command line, variables and Secure Boot keys, TPM, key presses, engine and seed.
 * A picocli mixin, so both commands spell and describe them the same way.
 */
final class BootOptions {
    @Option(names = "--disk", paramLabel = "FILE",
            description = "a disk image (raw, GPT/MBR, or an ISO 9660 with El Torito) served read-only as a block device with its partitions and FAT"
                    + " file systems; without PAYLOAD, the first that has \\EFI\\BOOT\\BOOTX64.EFI (BOOTAA64.EFI) boots; repeatable")
    List<Path> disks = new ArrayList<>();

    @Option(names = "--initrd", paramLabel = "FILE", description = "served to Linux through the LINUX_EFI_INITRD_MEDIA LoadFile2 device path")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "TEXT", description = "the payload's LoadOptions (UTF-16; a signed UKI's own .cmdline wins under Secure Boot)")
    String cmdline;

    @Option(names = "--seed", paramLabel = "N", description = "seed for EFI_RNG_PROTOCOL and the clock: same seed, same run")
    Long seed;

    @Option(names = "--tpm", paramLabel = "virtual|DEVICE|swtpm:HOST:PORT", defaultValue = "virtual",
            description = "the TPM the payload measures into: efiemu's virtual PCRs (default), a TPM 2.0 device such as /dev/tpmrm0, or swtpm's TCP channel")
    String tpm;

    @Option(names = "--tpm-log", paramLabel = "FILE",
            description = "the event log that describes the TPM's PCRs so far (default for a device: /sys/kernel/security/tpm0/binary_bios_measurements);"
                    + " new events are appended to it")
    Path tpmLog;

    @Option(names = "--vars", paramLabel = "FILE",
            description = "variable store: an edk2/OVMF VARS file (imported, never written) or efiemu's own store file (read, and written back after the run)")
    Path vars;

    @Option(names = "--secure-boot", description = "enforce Secure Boot: SecureBoot=1, Security2 verifies every image; keys from --db or an OVMF --vars")
    boolean secureBoot;

    @Option(names = "--db", paramLabel = "CERT|ESL", description = "allowed keys for --secure-boot (PEM/DER certificate or EFI_SIGNATURE_LIST); repeatable")
    List<Path> db = new ArrayList<>();

    @Option(names = "--dbx", paramLabel = "CERT|ESL", description = "forbidden keys and hashes; repeatable")
    List<Path> dbx = new ArrayList<>();

    @Option(names = "--keys", paramLabel = "TEXT", description = "key presses ConIn delivers, in order (none by default): a boot menu's Enter, say")
    String keys;

    @Option(names = "--engine", paramLabel = "auto|unicorn|kvm", defaultValue = "${env:EFIEMU_ENGINE:-auto}",
            description = "the CPU engine: auto is KVM where /dev/kvm works, else Unicorn (default ${DEFAULT-VALUE}: $EFIEMU_ENGINE or auto);"
                    + " the summary says which ran")
    String engine;

    /**
     * The request with the options every command applies the same way. Not the initrd and command line:
     * {@code kexec} merges those with a boot entry's.
     */
    BootRequest applyTo(BootRequest r) {
        return r.withSeed(seed).withVariables(vars).withSecureBoot(secureBoot, db, dbx).withTpm(tpm, tpmLog).withEngine(engine)
                .withDisks(disks).withKeys(keys);
    }
}
