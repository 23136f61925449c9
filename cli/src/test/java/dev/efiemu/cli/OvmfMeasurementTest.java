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
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test against the real firmware: the test UKI booted by QEMU + OVMF with a TPM
 * (swtpm), whose kernel's event log its marker initrd prints, against efiemu's log for the same UKI
 * on a fresh virtual TPM. PCRs 9, 11, 12 and 13 hold the same events (types, SHA-1/SHA-256 digests,
 * event data); PCRs 4 and 7 the same sequence of event types with equal digests (the same
 * images, the same Secure Boot variables, the same separators and actions).
 */
class OvmfMeasurementTest {
    @TempDir
    Path tmp;

    static List<TcgLogParser.Record> pcr(List<TcgLogParser.Record> all, int pcr) {
        return all.stream().filter(r -> r.pcr() == pcr).toList();
    }

    @Test
    void efiemuLogsWhatOvmfLogsForTheUki() throws Exception {
        Fixtures fx = Fixtures.cache().requireFetched();
        // the real firmware
        Path vars = Files.copy(fx.ovmfVars(), tmp.resolve("vars.fd"));
        Path sock = tmp.resolve("tpm.sock");
        Process tpm = Swtpm.startForQemu(sock, tmp.resolve("tpmstate"));
        Path serial = tmp.resolve("serial.log");
        try {
            Process q = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "1G", "-nographic", "-nodefaults",
                    "-serial", "stdio", "-no-reboot",
                    "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + fx.ovmfCode(),
                    "-drive", "if=pflash,format=raw,unit=1,file=" + vars,
                    "-chardev", "socket,id=chrtpm,path=" + sock, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-crb,tpmdev=tpm0",
                    "-kernel", fx.uki().toString())
                    .redirectErrorStream(true).redirectOutput(serial.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            if (!q.waitFor(180, TimeUnit.SECONDS)) {
                q.destroyForcibly();
                throw new AssertionError("QEMU + OVMF did not finish:\n" + Files.readString(serial, StandardCharsets.ISO_8859_1));
            }
        } finally {
            tpm.destroy();
        }
        List<String> lines = List.of(Files.readString(serial, StandardCharsets.ISO_8859_1).replace("\r", "").split("\n"));
        int b = lines.indexOf("EFIEMU-TPMLOG-BEGIN"), e = lines.indexOf("EFIEMU-TPMLOG-END");
        assertTrue(b >= 0 && e > b, "OVMF's kernel printed its event log:\n" + String.join("\n", lines));
        List<TcgLogParser.Record> ovmf = TcgLogParser.parse(Base64.getDecoder().decode(String.join("", lines.subList(b + 1, e)))).records();
        // efiemu, same UKI, fresh virtual TPM
        Path ours = tmp.resolve("efiemu.log");
        CliRun.Result r = CliRun.run("run", fx.uki().toString(), "--seed", "1", "--eventlog", ours.toString());
        assertEquals(0, r.exit(), r.err());
        List<TcgLogParser.Record> efiemu = TcgLogParser.parse(Files.readAllBytes(ours)).records();

        for (int p : List.of(9, 11, 12, 13)) {
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
        assertTrue(pcr(efiemu, 11).size() >= 8, "systemd-stub's section measurements");
        for (int p : List.of(4, 7)) {
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
