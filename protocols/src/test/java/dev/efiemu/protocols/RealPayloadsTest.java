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

    /** @param initrd what the LINUX_EFI_INITRD_MEDIA configuration table the stub installed points at, or null */
    record Run(RunOutcome outcome, String console, List<String> trace, byte[] initrd) {}

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
            return new Run(o, console.toString(), trace, initrdTable(fw));
        }
    }

    /** The bytes the LINUX_EFI_INITRD_MEDIA table ({u64 base; u64 size}, Linux's struct linux_efi_initrd) describes. */
    static byte[] initrdTable(Firmware fw) {
        Long table = fw.tables().configTables().get(dev.efiemu.core.efi.Guids.LINUX_INITRD_MEDIA);
        if (table == null) return null;
        long base = fw.machine().memory().u64(table), size = fw.machine().memory().u64(table + 8);
        return fw.machine().memory().read(base, Math.toIntExact(size));
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
        assertInitrdIsTheFile(r, f.markerInitrd());
        assertMapKeyIsCurrent(r);
    }

    /** The stub's record of the initrd it loaded (base, size) describes exactly the initrd file's bytes. */
    static void assertInitrdIsTheFile(Run r, Path initrd) throws Exception {
        byte[] file = Files.readAllBytes(initrd);
        assertTrue(r.initrd() != null, "the stub installed no LINUX_EFI_INITRD_MEDIA table");
        assertEquals(file.length, r.initrd().length, "initrd size the stub recorded");
        assertEquals(-1, java.util.Arrays.mismatch(file, r.initrd()), "first differing byte of the initrd the guest received");
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
        assertInitrdIsTheFile(r, f.markerInitrd());
        assertMapKeyIsCurrent(r);
    }

    /** aarch64: Debian's arm64 kernel (a plain PE Image with the EFI stub) on an AArch64 machine. */
    @Test
    void arm64KernelReachesExitBootServicesWithInitrd() throws Exception {
        Fixtures f = fixtures();
        Run r = run(dev.efiemu.cpu.Arch.AARCH64, f.arm64Image(), f.markerInitrdAarch64(), "console=ttyAMA0", 5L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
        assertInitrdIsTheFile(r, f.markerInitrdAarch64());
        assertTrue(r.console().contains("Exiting boot services"), r.console());
    }

    /**
     * Real EFI zboot kernels (built from Debian's linux-source-6.1 / -6.12): the kernel's own
     * decompressor runs in the emulator, then its EFI stub, to ExitBootServices. 6.1 hands the
     * decompressed image to LoadImage through its own LoadFile2 protocol and StartImage's it;
     * 6.12 decompresses into pages it allocates and enters the stub itself.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"6.1, gzip", "6.1, zstd", "6.12, gzip", "6.12, zstd"})
    void arm64ZbootKernelsReachExitBootServices(String series, String compression) throws Exception {
        Fixtures f = fixtures();
        Run r = run(dev.efiemu.cpu.Arch.AARCH64, f.zboot(series, compression), f.markerInitrdAarch64(), "console=ttyAMA0", 6L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
        if (series.equals("6.1")) {
            assertTrue(r.trace().stream().anyMatch(t -> t.contains("BS.LoadImage") && t.contains("through LoadFile2 of VenMedia(e565a30d")
                    && t.endsWith("SUCCESS")), "LoadImage of the decompressed kernel through the zboot image's LoadFile2:\n" + String.join("\n", r.trace()));
            assertTrue(r.trace().stream().anyMatch(t -> t.contains("BS.StartImage") && t.contains("/child-1")), "StartImage of it");
        } else {
            assertTrue(r.console().contains("Decompressing Linux Kernel..."), r.console());
            assertTrue(r.trace().stream().noneMatch(t -> t.contains("BS.LoadImage")), "6.12 enters the stub without LoadImage");
        }
    }

    /** The guest's own decompressor failing (a corrupted payload byte) ends the run as the payload's error, with its message. */
    @Test
    void aCorruptZbootPayloadFailsInTheGuestsDecompressor() throws Exception {
        Fixtures f = fixtures();
        byte[] z = Files.readAllBytes(f.zboot("6.12", "gzip"));
        int off = java.nio.ByteBuffer.wrap(z).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(8);
        for (int i = 0; i < 64; i++) z[off + 4096 + i] ^= 0x5a; // inside the deflate stream
        Path bad = Files.createTempFile("zboot-corrupt", ".efi");
        try {
            Files.write(bad, z);
            Run r = run(dev.efiemu.cpu.Arch.AARCH64, bad, f.markerInitrdAarch64(), "console=ttyAMA0", 6L);
            assertEquals(RunOutcome.Kind.RETURNED, r.outcome().kind(), r.outcome().message());
            assertTrue(dev.efiemu.core.efi.Status.isError(r.outcome().status()), r.outcome().message());
            assertTrue(r.console().contains("EFI decompressor"), r.console());
        } finally {
            Files.delete(bad);
        }
    }

    /** systemd-stub 252 (linuxaa64.efi.stub) starts the Debian arm64 Image, and a zboot kernel, from its .linux. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Image", "zboot"})
    void arm64UkisReachExitBootServices(String kernel) throws Exception {
        Fixtures f = fixtures();
        Run r = run(dev.efiemu.cpu.Arch.AARCH64, kernel.equals("Image") ? f.arm64Uki() : f.arm64ZbootUki(), null, null, 7L);
        assertReachedEbs(r);
        assertTrue(r.console().contains(INITRD_LINE), r.console());
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
