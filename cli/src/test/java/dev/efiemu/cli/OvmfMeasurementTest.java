package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.Swtpm;
import dev.efiemu.protocols.tpm.EventLog.Bank;
import dev.efiemu.protocols.tpm.TcgLogParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test against the real firmware: the test UKI booted by QEMU + OVMF with a TPM
 * (swtpm) from an ESP disk, whose kernel's event log its marker initrd prints, against efiemu's log
 * for the same UKI from the same ESP on a fresh virtual TPM. PCRs 9, 11, 12 and 13 hold the same events (types, SHA-1/SHA-256 digests,
 * event data); PCRs 4 and 7 the same sequence of event types with equal digests (the same
 * images, the same Secure Boot variables, the same separators and actions).
 */
class OvmfMeasurementTest {
    @TempDir
    Path tmp;

    static List<TcgLogParser.Record> pcr(List<TcgLogParser.Record> all, int pcr) {
        return all.stream().filter(r -> r.pcr() == pcr).toList();
    }

    /** Boots QEMU + OVMF (+ swtpm) with these extra arguments; returns the kernel's event log its marker initrd printed. */
    List<TcgLogParser.Record> ovmfLog(Path code, Path varsTemplate, List<String> extra) throws Exception {
        Path vars = Files.copy(varsTemplate, tmp.resolve("vars.fd"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path sock = tmp.resolve("tpm.sock");
        Process tpm = Swtpm.startForQemu(sock, tmp.resolve("tpmstate"));
        Path serial = tmp.resolve("serial.log");
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1G", "-nographic", "-nodefaults",
                    "-serial", "stdio", "-no-reboot",
                    "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                    "-drive", "if=pflash,format=raw,unit=1,file=" + vars,
                    "-chardev", "socket,id=chrtpm,path=" + sock, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-crb,tpmdev=tpm0"));
            cmd.addAll(extra);
            Process q = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(serial.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            if (!q.waitFor(240, TimeUnit.SECONDS)) {
                q.destroyForcibly();
                throw new AssertionError("QEMU + OVMF did not finish:\n" + Files.readString(serial, StandardCharsets.ISO_8859_1));
            }
        } finally {
            tpm.destroy();
        }
        List<String> lines = List.of(Files.readString(serial, StandardCharsets.ISO_8859_1).replace("\r", "").split("\n"));
        return TcgLogParser.parse(ConsoleDump.base64Between(lines, "EFIEMU-TPMLOG-BEGIN", "EFIEMU-TPMLOG-END")).records();
    }

    @Test
    void efiemuLogsWhatOvmfLogsForTheUki() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        // OVMF boots the UKI as its boot option from a disk (the removable-media path), as a machine would
        Path esp = Files.createDirectories(tmp.resolve("esp/EFI/BOOT"));
        Files.copy(fx.uki(), esp.resolve("BOOTX64.EFI"));
        var sandbox = new dev.efiemu.protocols.fs.EspSandbox(tmp.resolve("esp"), false);
        var disk = dev.efiemu.protocols.fs.FatImage.build(sandbox, List.of(), dev.efiemu.protocols.fs.EspDevice.partitionUuid(sandbox));
        List<TcgLogParser.Record> ovmf;
        try {
            ovmf = ovmfLog(fx.ovmfCode(), fx.ovmfVars(), List.of("-M", "q35",
                    "-drive", "file=" + disk.image() + ",format=raw,if=none,id=esp,readonly=on", "-device", "virtio-blk-pci,drive=esp"));
        } finally {
            dev.efiemu.protocols.fs.FatImage.release(disk);
        }
        // efiemu, same UKI from the same ESP, fresh virtual TPM
        Path ours = tmp.resolve("efiemu.log");
        CliRun.Result r = CliRun.run("run", esp.resolve("BOOTX64.EFI").toString(), "--esp", tmp.resolve("esp").toString(), "--seed", "1",
                "--eventlog", ours.toString());
        assertEquals(0, r.exit(), r.err());
        List<TcgLogParser.Record> efiemu = TcgLogParser.parse(Files.readAllBytes(ours)).records();
        compare(ovmf, efiemu, List.of(9, 11, 12, 13), List.of(4, 7));
        assertTrue(pcr(efiemu, 11).size() >= 8, "systemd-stub's section measurements");
    }

    /**
     * shim → GRUB → kernel under Secure Boot with the Microsoft db: OVMF's Secure Boot build (SMM)
     * boots a GPT disk holding the ESP (the same image efiemu serves with --esp-disk); efiemu runs
     * shim from that ESP with OVMF's VARS. Same events in PCRs 8, 9 and 14 (GRUB's commands and
     * files, the kernel's initrd, shim's MOK state), same event types and digests in PCRs 4 and 7
     * (shim, GRUB; the Secure Boot variables and the db certificate that allowed shim).
     */
    @Test
    void efiemuLogsWhatOvmfLogsForShimGrubAndAKernelUnderSecureBoot() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        Path esp = Files.createDirectories(tmp.resolve("esp/EFI/BOOT"));
        Files.copy(fx.shim(), esp.resolve("BOOTX64.EFI"));
        Files.copy(fx.grub(), esp.resolve("grubx64.efi"));
        Files.copy(fx.cloudKernel(), tmp.resolve("esp/vmlinuz"));
        Files.copy(fx.markerInitrd(), tmp.resolve("esp/initrd.gz"));
        Files.writeString(esp.resolve("grub.cfg"), "linux /vmlinuz console=ttyS0 panic=-1 via=grub\ninitrd /initrd.gz\nboot\n");
        var sandbox = new dev.efiemu.protocols.fs.EspSandbox(tmp.resolve("esp"), false);
        var disk = dev.efiemu.protocols.fs.FatImage.build(sandbox, List.of(), dev.efiemu.protocols.fs.EspDevice.partitionUuid(sandbox));
        List<TcgLogParser.Record> ovmf;
        try {
            ovmf = ovmfLog(fx.ovmfCodeSecboot(), fx.ovmfVarsMs(), List.of("-machine", "q35,smm=on",
                    "-global", "driver=cfi.pflash01,property=secure,value=on",
                    "-drive", "file=" + disk.image() + ",format=raw,if=none,id=esp,readonly=on", "-device", "virtio-blk-pci,drive=esp"));
        } finally {
            dev.efiemu.protocols.fs.FatImage.release(disk);
        }
        Path ours = tmp.resolve("efiemu.log");
        CliRun.Result r = CliRun.run("run", esp.resolve("BOOTX64.EFI").toString(), "--esp", tmp.resolve("esp").toString(), "--esp-disk",
                "--seed", "1", "--budget", "120", "--secure-boot", "--vars", fx.ovmfVarsMs().toString(), "--eventlog", ours.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        List<TcgLogParser.Record> efiemu = TcgLogParser.parse(Files.readAllBytes(ours)).records();
        compare(ovmf, efiemu, List.of(5, 8, 9, 14), List.of(4, 7));
        assertTrue(pcr(efiemu, 7).stream().anyMatch(x -> x.type() == 0x800000e0), "the db authority that allowed shim");
    }

    static void compare(List<TcgLogParser.Record> ovmf, List<TcgLogParser.Record> efiemu, List<Integer> same, List<Integer> sameTypes) {
        for (int p : same) {
            List<TcgLogParser.Record> a = pcr(ovmf, p), c = pcr(efiemu, p);
            assertEquals(a.size(), c.size(), "PCR " + p + " event count: OVMF " + a.size() + ", efiemu " + c.size());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).type(), c.get(i).type(), "PCR " + p + " event " + i + " type");
                for (Bank bank : List.of(Bank.SHA1, Bank.SHA256)) {
                    assertArrayEquals(a.get(i).digests().get(bank), c.get(i).digests().get(bank), "PCR " + p + " event " + i + " " + bank);
                }
                assertArrayEquals(a.get(i).data(), c.get(i).data(), "PCR " + p + " event " + i + " data");
            }
        }
        for (int p : sameTypes) {
            List<TcgLogParser.Record> a = pcr(ovmf, p), c = pcr(efiemu, p);
            assertEquals(a.stream().map(TcgLogParser.Record::type).toList(), c.stream().map(TcgLogParser.Record::type).toList(),
                    "PCR " + p + " event types");
            for (int i = 0; i < a.size(); i++) {
                assertEquals(HexFormat.of().formatHex(a.get(i).digests().get(Bank.SHA256)), HexFormat.of().formatHex(c.get(i).digests().get(Bank.SHA256)),
                        "PCR " + p + " event " + i + " (type 0x" + Integer.toHexString(a.get(i).type()) + ") digest");
            }
        }
    }
}
