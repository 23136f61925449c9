package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 acceptance 1-4: the ExitBootServices snapshot, written as a PVH ELF, boots in QEMU
 * (q35, 1 GiB, SeaBIOS, TCG) to the marker initrd with the command line given to efiemu, and
 * powers off; same seed, same bytes; the kexec dry run validates against this host.
 */
class HandoffBootTest {
    @TempDir
    Path tmp;

    static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    record Boot(int exit, String console) {}

    static Boot qemu(Path elf) throws IOException, InterruptedException {
        Path log = Files.createTempFile("qemu", ".log");
        try {
            Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "1G", "-nographic",
                    "-nodefaults", "-serial", "stdio", "-no-reboot", "-kernel", elf.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("QEMU did not power off within 180 s:\n" + tail(Files.readString(log, StandardCharsets.ISO_8859_1)));
            }
            return new Boot(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    Boot bootsToMarker(Path elf, String cmdline) throws Exception {
        Boot b = qemu(elf);
        assertTrue(b.console().contains("Linux version"), tail(b.console()));
        assertTrue(b.console().contains(Fixtures.MARKER + " " + cmdline), "marker with the cmdline:\n" + tail(b.console()));
        assertTrue(b.console().contains("reboot: Power down"), tail(b.console()));
        assertEquals(0, b.exit(), "QEMU exits by the guest's power-off");
        return b;
    }

    @Test
    void plainKernelHandoffBootsInQemu() throws Exception {
        Path elf = tmp.resolve("kernel.elf");
        String cmdline = "console=ttyS0 panic=-1 efiemu.test=plain";
        CliRun.Result r = CliRun.run("run", fx().cloudKernel().toString(), "--initrd", fx().markerInitrd().toString(),
                "--cmdline", cmdline, "--seed", "3", "--handoff", elf.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        Boot b = bootsToMarker(elf, cmdline);
        // The stub filled screen_info from the Graphics Output Protocol: the kernel registers efifb on efiemu's framebuffer.
        var screen = java.util.regex.Pattern.compile("screen: +(\\d+)x(\\d+) BGRX framebuffer at (0x[0-9a-f]+)").matcher(r.out());
        assertTrue(screen.find(), r.out());
        assertTrue(b.console().contains("efifb: framebuffer at " + screen.group(3) + ","), tail(b.console()));
        assertTrue(b.console().contains("efifb: mode is " + screen.group(1) + "x" + screen.group(2) + "x32"), tail(b.console()));
    }

    @Test
    void ukiHandoffBootsWithItsOwnCmdline() throws Exception {
        Path elf = tmp.resolve("uki.elf");
        CliRun.Result r = CliRun.run("run", fx().uki().toString(), "--seed", "4", "--handoff", elf.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        bootsToMarker(elf, Fixtures.UKI_CMDLINE);
    }

    @Test
    void sameSeedGivesByteIdenticalElf() throws Exception {
        Path a = tmp.resolve("a.elf"), b = tmp.resolve("b.elf");
        for (Path p : List.of(a, b)) {
            CliRun.Result r = CliRun.run("run", fx().uki().toString(), "--seed", "9", "--handoff", p.toString());
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals(-1L, Files.mismatch(a, b));
        assertTrue(Files.size(a) > 32L << 20);
    }

    /**
     * The PVH note (readelf: "Xen", type 0x12) names the trampoline's 32-bit entry: the PT_LOAD
     * segment holding that physical address carries the committed trampoline code there.
     */
    @Test
    void elfHasPvhNoteAndLoadsAtPhysicalAddresses() throws Exception {
        Path elf = tmp.resolve("k.elf");
        assertEquals(0, CliRun.run("run", fx().uki().toString(), "--seed", "5", "--handoff", elf.toString()).exit());
        Process p = new ProcessBuilder("readelf", "-lnW", elf.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "Xen\\s+0x00000008\\s+[^\\n]*?\\(0x00000012\\)\\s*description data: ((?:[0-9a-f]{2} ?){8})").matcher(out);
        assertTrue(m.find(), "XEN_ELFNOTE_PHYS32_ENTRY note:\n" + out);
        String[] hex = m.group(1).trim().split(" ");
        long entry = 0;
        for (int i = 7; i >= 0; i--) entry = entry << 8 | Integer.parseInt(hex[i], 16);
        assertTrue(out.contains("LOAD"), out);

        byte[] trampoline;
        try (var in = dev.efiemu.core.handoff.Trampoline.class.getResourceAsStream("trampoline.bin")) {
            trampoline = in.readAllBytes();
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(elf)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(entry, b.getLong(24), "e_entry is the PVH entry too");
        long phoff = b.getLong(32);
        byte[] at = null;
        for (int i = 0; i < b.getShort(56); i++) {
            int ph = (int) (phoff + 56L * i);
            long off = b.getLong(ph + 8), paddr = b.getLong(ph + 24), filesz = b.getLong(ph + 32);
            if (b.getInt(ph) == 1 && entry >= paddr && entry + trampoline.length <= paddr + filesz) {
                at = new byte[trampoline.length];
                b.get((int) (off + entry - paddr), at);
            }
        }
        assertTrue(at != null, String.format("no PT_LOAD holds the note's entry 0x%x:%n%s", entry, out));
        org.junit.jupiter.api.Assertions.assertArrayEquals(trampoline, at, "the trampoline's code at the note's entry");
    }

    @Test
    void kexecDryRunValidatesAgainstThisHost() {
        CliRun.Result r = CliRun.run("run", fx().cloudKernel().toString(), "--initrd", fx().markerInitrd().toString(),
                "--cmdline", "console=ttyS0", "--seed", "1", "--memmap", "host", "--kexec-dry-run");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("kexec_load(entry=0x"), r.out());
        assertTrue(r.out().contains("validation against /proc/iomem: ok"), r.out());
        assertTrue(r.out().contains("dry run: nothing loaded"), r.out());
    }

    @Test
    void kexecNeedsTheHostMemoryMap() {
        CliRun.Result r = CliRun.run("run", fx().cloudKernel().toString(), "--kexec-dry-run");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--kexec and --kexec-dry-run need --memmap host"), r.err());
    }
}
