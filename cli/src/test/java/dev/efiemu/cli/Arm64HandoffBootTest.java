package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 14: the AArch64 ExitBootServices state, written as an ELF, boots in
 * {@code qemu-system-aarch64 -M virt -cpu max} to the marker initrd: the Debian arm64 Image, the
 * real zboot kernels of both generations, the arm64 UKIs. The payload ran on the machine QEMU
 * gives it: its device tree ({@code -M virt,dumpdtb}) as the EFI DTB table, its RAM as the
 * memory map.
 */
class Arm64HandoffBootTest {
    static final List<String> QEMU = List.of("qemu-system-aarch64", "-accel", "tcg", "-M", "virt", "-cpu", "max", "-m", "1G",
            "-nographic", "-nodefaults");

    @TempDir
    static Path shared;
    static Path dtb;

    @TempDir
    Path tmp;

    static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    /** QEMU's own device tree for the machine the hand-off boots on. */
    @BeforeAll
    static void dumpDtb() throws Exception {
        dtb = shared.resolve("virt.dtb");
        List<String> cmd = new ArrayList<>(QEMU);
        cmd.set(4, "virt,dumpdtb=" + dtb);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "QEMU dumpdtb hung");
        assertEquals(0, p.exitValue(), out);
    }

    record Boot(int exit, String console) {}

    static Boot qemu(Path elf, String... extra) throws IOException, InterruptedException {
        Path log = Files.createTempFile("qemu-aarch64", ".log");
        try {
            List<String> cmd = new ArrayList<>(QEMU);
            cmd.addAll(List.of("-serial", "stdio", "-no-reboot", "-kernel", elf.toString()));
            cmd.addAll(List.of(extra));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            if (!p.waitFor(240, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("QEMU did not power off within 240 s:\n" + HandoffBootTest.tail(Files.readString(log, StandardCharsets.ISO_8859_1)));
            }
            return new Boot(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static void bootsToMarker(Path elf, String cmdline, String... qemuExtra) throws Exception {
        Boot b = qemu(elf, qemuExtra);
        String tail = HandoffBootTest.tail(b.console());
        assertTrue(b.console().contains("Linux version"), tail);
        assertTrue(b.console().contains("Machine model: linux,dummy-virt"), "the kernel got QEMU's tree from the stub:\n" + tail);
        assertTrue(b.console().contains(Fixtures.MARKER + " " + cmdline), "marker with the cmdline:\n" + tail);
        assertTrue(b.console().contains("reboot: Power down"), tail);
        assertEquals(0, b.exit(), "QEMU exits by the guest's power-off (PSCI)");
    }

    Path handoff(String name, String... args) {
        Path elf = tmp.resolve(name + ".elf");
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--dtb", dtb.toString(), "--seed", "3", "--handoff", elf.toString()));
        CliRun.Result r = CliRun.run(a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("outcome:        EXIT_BOOT_SERVICES"), r.out());
        return elf;
    }

    /** Debian's arm64 kernel (6.1, a plain EFI-stub Image): its stub turns the MMU off itself (efi_enter_kernel). */
    @Test
    void debianImageBootsToTheMarker() throws Exception {
        String cmdline = "console=ttyAMA0 panic=-1 efiemu.test=image";
        Path elf = handoff("image", "run", fx().arm64Image().toString(), "--initrd", fx().markerInitrdAarch64().toString(), "--cmdline", cmdline);
        bootsToMarker(elf, cmdline);
    }

    /**
     * Both zboot generations and compressions: 6.1's stub disables the MMU before the kernel,
     * 6.12's enters the kernel with the trampoline's MMU and caches on (head.S record_mmu_state).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"6.1, gzip", "6.1, zstd", "6.12, gzip", "6.12, zstd"})
    void zbootKernelsBootToTheMarker(String series, String compression) throws Exception {
        String cmdline = "console=ttyAMA0 panic=-1 efiemu.test=zboot-" + series + "-" + compression;
        Path elf = handoff("zboot", "run", fx().zboot(series, compression).toString(), "--initrd", fx().markerInitrdAarch64().toString(),
                "--cmdline", cmdline);
        bootsToMarker(elf, cmdline);
    }

    /** The arm64 UKIs: systemd-stub 252 around the Debian Image and around a zboot kernel, their own .cmdline and .initrd. */
    @ParameterizedTest
    @CsvSource({"Image", "zboot"})
    void ukisBootToTheMarker(String kernel) throws Exception {
        Path uki = kernel.equals("Image") ? fx().arm64Uki() : fx().arm64ZbootUki();
        bootsToMarker(handoff("uki", "run", uki.toString()), Fixtures.UKI_CMDLINE_AA64);
    }

    /** Entered at EL2 (QEMU's virtualization=on): the trampoline programs the EL2 regime; the kernel starts at EL2. */
    @Test
    void entryAtEl2BootsToo() throws Exception {
        Path el2Dtb = tmp.resolve("virt-el2.dtb");
        List<String> cmd = new ArrayList<>(QEMU);
        cmd.set(4, "virt,virtualization=on,dumpdtb=" + el2Dtb);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        String cmdline = "console=ttyAMA0 panic=-1 efiemu.test=el2";
        Path elf = tmp.resolve("el2.elf");
        CliRun.Result r = CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--initrd", fx().markerInitrdAarch64().toString(),
                "--cmdline", cmdline, "--dtb", el2Dtb.toString(), "--seed", "4", "--handoff", elf.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        // QEMU gives an ELF entered at EL2 no PSCI (it would be its own conduit), so the guest cannot power
        // off: the boot is over when the marker is out.
        List<String> qemu = new ArrayList<>(QEMU);
        qemu.set(4, "virt,virtualization=on");
        Path log = Files.createTempFile("qemu-el2", ".log");
        Process q = null;
        try {
            qemu.addAll(List.of("-serial", "stdio", "-no-reboot", "-kernel", elf.toString()));
            q = new ProcessBuilder(qemu).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            String out = "";
            while (System.nanoTime() < deadline && q.isAlive() && !out.contains(Fixtures.MARKER + " " + cmdline)) {
                Thread.sleep(200);
                out = Files.readString(log, StandardCharsets.ISO_8859_1);
            }
            out = Files.readString(log, StandardCharsets.ISO_8859_1);
            assertTrue(out.contains(Fixtures.MARKER + " " + cmdline), HandoffBootTest.tail(out));
            assertTrue(out.contains("started at EL2"), "the kernel kept EL2:\n" + HandoffBootTest.tail(out));
        } finally {
            if (q != null) q.destroyForcibly().waitFor();
            Files.deleteIfExists(log);
        }
    }
}
