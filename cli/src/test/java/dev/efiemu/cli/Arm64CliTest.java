package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.fixtures.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14: arm64 payloads on the command line: bad input, the kexec plan for an arm64 machine, inspect. */
class Arm64CliTest {
    @TempDir
    Path tmp;

    static Fixtures fx() {
        return Fixtures.cache().requireFetched();
    }

    static void oneLine(CliRun.Result r, String... expected) {
        assertEquals(1, r.exit(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line:\n" + err);
        for (String e : expected) assertTrue(err.contains(e), err);
    }

    @Test
    void aTruncatedZbootIsOneLineNamingTheFile() throws Exception {
        byte[] z = Files.readAllBytes(fx().zboot("6.12", "zstd"));
        Path cut = tmp.resolve("cut.efi");
        Files.write(cut, Arrays.copyOf(z, 256 * 1024));
        oneLine(CliRun.run("run", cut.toString()), "efiemu: payload " + cut + ": EFI zboot image:", "beyond the end of the file");
    }

    @Test
    void aZbootPayloadThatDoesNotDecompressIsOneLine() throws Exception {
        byte[] z = Files.readAllBytes(fx().zboot("6.1", "gzip"));
        int off = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
        for (int i = 0; i < 64; i++) z[off + 4096 + i] ^= 0x5a;
        Path bad = tmp.resolve("bad.efi");
        Files.write(bad, z);
        // inflate either fails or yields other bytes than the stream's ISIZE declares: both are one line
        oneLine(CliRun.run("run", bad.toString(), "--handoff", tmp.resolve("x.elf").toString()), "efiemu: payload " + bad + ": EFI zboot image:",
                "zboot gzip payload");
        assertFalse(Files.exists(tmp.resolve("x.elf")));
    }

    @Test
    void aDtbThatIsNotOneIsOneLine() throws Exception {
        Path notDtb = fx().markerInitrdAarch64();
        oneLine(CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--dtb", notDtb.toString()),
                "efiemu: --dtb " + notDtb + ": not a device tree: no FDT magic");
        Path empty = tmp.resolve("empty.dtb");
        Files.write(empty, new byte[0]);
        oneLine(CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--dtb", empty.toString()), "--dtb " + empty, "shorter than the 40-byte FDT header");
        oneLine(CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--memmap", "q35"), "--memmap q35", "AArch64 (use virt)");
    }

    /** A QEMU virt arm64 guest's /proc/iomem (1 GiB): the plan is for KEXEC_ARCH_AARCH64 and fits its System RAM. */
    static final String ARM64_IOMEM = """
            00000000-03ffffff : 0.flash
              00000000-03ffffff : 0.flash 0.flash
            04000000-07ffffff : 1.flash
              04000000-07ffffff : 1.flash 1.flash
            09000000-09000fff : 9000000.pl011 pl011@9000000
              09000000-09000fff : 9000000.pl011 pl011@9000000
            09010000-09010fff : 9010000.pl031 pl031@9010000
            09030000-09030fff : 9030000.pl061 pl061@9030000
            10000000-3efeffff : pcie@10000000
            40000000-7fffffff : System RAM
              40210000-40b4ffff : Kernel code
              40b50000-40dcffff : reserved
              40dd0000-4123ffff : Kernel data
            4010000000-401fffffff : PCI ECAM
            8000000000-ffffffffff : pcie@10000000
            """;

    @Test
    void kexecDryRunPlansForAnArm64Machine() throws Exception {
        Path iomem = tmp.resolve("iomem");
        Files.writeString(iomem, ARM64_IOMEM);
        CliRun.Result r = CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--initrd", fx().markerInitrdAarch64().toString(),
                "--cmdline", "console=ttyAMA0", "--seed", "1", "--memmap", iomem.toString(), "--kexec-dry-run");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("KEXEC_ARCH_AARCH64"), r.out());
        assertTrue(r.out().contains("validation against " + iomem + ": ok"), r.out());
        assertTrue(r.out().contains("dry run: nothing loaded"), r.out());
        // the same run laid out for a machine whose RAM starts higher does not fit this one
        Path other = tmp.resolve("iomem-other");
        Files.writeString(other, ARM64_IOMEM.replace("40000000-7fffffff : System RAM", "40000000-5fffffff : System RAM\n60000000-7fffffff : reserved"));
        CliRun.Result fit = CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--seed", "1", "--memmap", other.toString(), "--kexec-dry-run");
        assertEquals(0, fit.exit(), fit.out() + fit.err());
        assertTrue(fit.out().contains("validation against " + other + ": ok"), fit.out());
        assertFalse(fit.out().contains("mem 0x006") || fit.out().contains("mem 0x007"), "nothing placed in the reserved upper half:\n" + fit.out());
        CliRun.Result kexec = CliRun.run("run", fx().zboot("6.12", "gzip").toString(), "--memmap", iomem.toString(), "--kexec");
        oneLine(kexec, "need --memmap host");
    }

    /** efiemu inspect shows a real zboot kernel's layers: the zboot header, the Image it carries, that Image's kernel version. */
    @Test
    void inspectShowsTheZbootLayers() {
        CliRun.Result r = CliRun.run("inspect", fx().zboot("6.1", "zstd").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("EFI zboot"), r.out());
        assertTrue(r.out().contains("zstd22"), r.out());
        assertTrue(r.out().contains("arm64 Image"), r.out());
        assertTrue(r.out().contains("Linux version 6.1."), r.out());
    }
}
