package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 7 acceptance 1 and 5: the real Debian kernels and the test UKI run to ExitBootServices. */
class RealPayloadsTest {
    static final String INITRD_LINE = "Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path";

    record Run(RunOutcome outcome, String console, List<String> trace) {}

    static Run run(Path payload, Path initrd, String cmdline, Long seed) throws Exception {
        return run(dev.efiemu.cpu.Arch.X86_64, payload, initrd, cmdline, seed);
    }

    static Run run(dev.efiemu.cpu.Arch arch, Path payload, Path initrd, String cmdline, Long seed) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        MachineConfig cfg = MachineConfig.defaults().withArch(arch).withSeed(seed).withBudget(120_000)
                .withConsole(new PrintStream(console, true));
        List<String> trace = new ArrayList<>();
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols.install(fw, initrd == null ? null : Files.readAllBytes(initrd), null);
            fw.machine().traps().onCall(e -> trace.add(e.format()));
            RunOutcome o = fw.runPayload(Files.readAllBytes(payload), payload.getFileName().toString(), cmdline, 0,
                    DevicePath.filePath("\\" + payload.getFileName()));
            return new Run(o, console.toString(), trace);
        }
    }

    static Fixtures fixtures() {
        return Fixtures.cache().requireFetched();
    }

    static void assertReachedEbs(Run r) {
        String fault = r.outcome().fault() != null ? r.outcome().fault().format() : r.outcome().message();
        assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, r.outcome().kind(), fault);
        assertTrue(r.trace().get(r.trace().size() - 1).contains("ExitBootServices")
                || r.trace().stream().anyMatch(t -> t.contains("BS.ExitBootServices")), "EBS in the trace");
    }

    @Test
    void cloudKernelReachesExitBootServicesWithInitrd() throws Exception {
        Fixtures f = fixtures();
        Run r = run(f.cloudKernel(), f.markerInitrd(), "console=ttyS0", 1L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
        assertTrue(r.trace().stream().anyMatch(t -> t.startsWith("#") && t.contains("LoadFile") && t.endsWith("SUCCESS")), "initrd loaded");
        assertMapKeyIsCurrent(r);
    }

    /**
     * The ExitBootServices that ended the run passed the key of the last successful GetMemoryMap,
     * and nothing that changes the map (an allocation or a free) came between them.
     */
    static void assertMapKeyIsCurrent(Run r) {
        List<String> t = r.trace();
        String ebs = t.get(t.size() - 1);
        java.util.regex.Matcher e = java.util.regex.Pattern.compile("^#\\d+ BS\\.ExitBootServices\\(0x[0-9a-f]+, 0x([0-9a-f]+)\\) map key (\\d+)").matcher(ebs);
        assertTrue(e.find(), "the run ends in ExitBootServices: " + ebs);
        long key = Long.parseLong(e.group(1), 16);
        assertEquals(key, Long.parseLong(e.group(2)));
        int last = -1;
        for (int i = t.size() - 2; i >= 0 && last < 0; i--) {
            if (t.get(i).contains("BS.GetMemoryMap(") && t.get(i).endsWith("= SUCCESS")) last = i;
        }
        assertTrue(last >= 0, "a successful GetMemoryMap before ExitBootServices");
        assertTrue(t.get(last).contains(" key " + key + " "), "ExitBootServices passed the key GetMemoryMap returned: " + t.get(last) + " / " + ebs);
        for (String between : t.subList(last + 1, t.size() - 1)) {
            assertTrue(!between.matches("^#\\d+ BS\\.(Allocate|Free)(Pages|Pool)\\(.*= SUCCESS$"), "the map changed after GetMemoryMap: " + between);
        }
    }

    @Test
    void genericKernelReachesExitBootServicesWithInitrd() throws Exception {
        Fixtures f = fixtures();
        Run r = run(f.genericKernel(), f.markerInitrd(), "console=ttyS0", 2L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
        assertMapKeyIsCurrent(r);
    }

    /** aarch64: Debian's arm64 kernel (a plain PE Image with the EFI stub) on an AArch64 machine. */
    @Test
    void arm64KernelReachesExitBootServicesWithInitrd() throws Exception {
        Fixtures f = fixtures();
        Run r = run(dev.efiemu.cpu.Arch.AARCH64, f.arm64Image(), f.markerInitrd(), "console=ttyAMA0", 5L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
        assertTrue(r.console().contains("Exiting boot services"), r.console());
    }

    @Test
    void ukiStubLoadsAndStartsItsKernel() throws Exception {
        Run r = run(fixtures().uki(), null, null, 3L);
        assertReachedEbs(r);
        assertTrue(r.trace().stream().anyMatch(t -> t.contains("BS.LoadImage") && t.endsWith("SUCCESS")), "LoadImage of .linux");
        assertTrue(r.trace().stream().anyMatch(t -> t.contains("BS.StartImage")), "StartImage");
        assertTrue(r.console().contains(INITRD_LINE), r.console());
    }

    @Test
    void sameSeedSameRun() throws Exception {
        Fixtures f = fixtures();
        Run a = run(f.cloudKernel(), f.markerInitrd(), "console=ttyS0", 42L);
        Run b = run(f.cloudKernel(), f.markerInitrd(), "console=ttyS0", 42L);
        assertEquals(a.trace(), b.trace(), "same seed: same calls, arguments and allocations");
        assertEquals(a.outcome().handoff().memoryMap(), b.outcome().handoff().memoryMap());
        Run c = run(f.cloudKernel(), f.markerInitrd(), "console=ttyS0", 43L);
        assertTrue(!a.trace().equals(c.trace()), "another seed moves the kernel (KASLR)");
    }

}
