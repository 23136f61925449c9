package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.PlatformLayout;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class Aarch64TrampolineTest {
    /** The committed trampoline-aarch64.bin is exactly what trampoline-aarch64.S assembles to. */
    @Test
    void committedBinaryMatchesTheSource() throws Exception {
        Path out = Files.createTempFile("trampoline-aarch64", ".bin");
        try {
            Process p = new ProcessBuilder("bash", TrampolineTest.repo().resolve("scripts/assemble-trampoline.sh").toString(), out.toString(), "aarch64")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("assembler hung");
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
            assertArrayEquals(Files.readAllBytes(out), Aarch64Trampoline.code());
        } finally {
            Files.delete(out);
        }
    }

    /**
     * Runs the entry in the emulator (EL1): it programs the MMU from its data block, restores every
     * captured register and returns EFI_SUCCESS to the captured X30.
     */
    @Test
    void entryRestoresStateAndReturnsSuccess() {
        try (Firmware fw = new Firmware(MachineConfig.defaults().withArch(Arch.AARCH64), PeImageFile::parse)) {
            Cpu cpu = fw.machine().cpu();
            Aarch64Trampoline t = fw.aarch64Trampoline();
            long ret = fw.machine().stackTop() - 0x10000; // any mapped address: the run stops there
            Map<String, Long> regs = new LinkedHashMap<>();
            for (int i = 0; i <= 30; i++) regs.put("X" + i, 0x1111L * (i + 1));
            regs.put("X30", ret);
            regs.put("SP", fw.machine().stackTop() - 0x2000);
            regs.put("NZCV", 0x60000000L);
            t.finish(fw.machine().memory(), regs);
            RunResult r = cpu.run(t.entry(), ret);
            assertEquals(RunResult.Kind.UNTIL, r.kind(), String.valueOf(r));
            assertEquals(0, cpu.reg(Arm64Reg.X0), "EFI_SUCCESS");
            for (int i = 1; i < 30; i++) assertEquals(0x1111L * (i + 1), cpu.reg(Arm64Reg.x(i)), "X" + i);
            assertEquals(fw.machine().stackTop() - 0x2000, cpu.reg(Arm64Reg.SP));
            assertEquals(0x60000000L, cpu.reg(Arm64Reg.NZCV) & 0xf0000000L);
            assertEquals(t.base() + Aarch64Trampoline.VECTORS, cpu.reg(Arm64Reg.VBAR_EL1));
            assertEquals(Aarch64Trampoline.MAIR, cpu.reg(Arm64Reg.MAIR_EL1));
            assertEquals(t.base() + Aarch64Trampoline.TABLES, cpu.reg(Arm64Reg.TTBR0_EL1));
            assertEquals(3L << 20, cpu.reg(Arm64Reg.CPACR_EL1) & (3L << 20), "FP/SIMD enabled");
        }
    }

    /** QEMU virt with 1 GiB: the first GiB (flash, devices) is device memory, the second normal RAM. */
    @Test
    void virtTablesUseGibBlocks() {
        try (Firmware fw = new Firmware(MachineConfig.defaults().withArch(Arch.AARCH64), PeImageFile::parse)) {
            GuestMemory mem = fw.memory();
            long root = fw.aarch64Trampoline().base() + Aarch64Trampoline.TABLES;
            long l0 = mem.u64(root);
            assertEquals(3, l0 & 3, "level 0 entry 0 is a table");
            long l1 = l0 & 0xfffffffff000L;
            long dev = mem.u64(l1), ram = mem.u64(l1 + 8), above = mem.u64(l1 + 24);
            assertEquals(1, dev & 3, "1 GiB block");
            assertEquals(1L << 2, dev & (7L << 2), "device attribute index");
            assertTrue((dev & Aarch64Trampoline.PXN) != 0 && (dev & Aarch64Trampoline.XN) != 0, "devices never executable");
            assertEquals(0x40000000L | 1 | Aarch64Trampoline.AF | Aarch64Trampoline.SH_INNER, ram, "RAM: normal, executable, inner shareable");
            assertEquals(0xc0000000L, above & 0xfffffffff000L);
            assertEquals(0, mem.u64(l1 + 8 * 4), "nothing mapped above 4 GiB");
            long el2 = fw.aarch64Trampoline().base() + Aarch64Trampoline.TABLES + 2 * MemoryMap.PAGE;
            long el2Ram = mem.u64(mem.u64(el2) & 0xfffffffff000L) ;
            assertEquals(Aarch64Trampoline.AP1, mem.u64((mem.u64(el2) & 0xfffffffff000L) + 8) & Aarch64Trampoline.AP1, "EL2 format: AP[1] RES1");
            assertTrue((el2Ram & Aarch64Trampoline.XN) != 0, "EL2 format: device XN");
        }
    }

    /** RAM that ends inside a GiB and a 4 KiB reservation split the blocks into 2 MiB and 4 KiB entries. */
    @Test
    void mixedRangesGetFinerTables() {
        MachineConfig cfg = MachineConfig.defaults().withArch(Arch.AARCH64)
                .withLayout(() -> PlatformLayout.arm64(List.of(new long[] {0x40000000L, 0x40000000L + (300L << 20) + 0x1000}), List.of()));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            GuestMemory mem = fw.memory();
            long l1 = mem.u64(fw.aarch64Trampoline().base() + Aarch64Trampoline.TABLES) & 0xfffffffff000L;
            long gib1 = mem.u64(l1 + 8);
            assertEquals(3, gib1 & 3, "GiB 1 is mixed: a level 2 table");
            long l2 = gib1 & 0xfffffffff000L;
            assertEquals(0x40000000L | 1 | Aarch64Trampoline.AF | Aarch64Trampoline.SH_INNER, mem.u64(l2), "first 2 MiB: RAM block");
            long edge = mem.u64(l2 + 8 * 150); // 300 MiB .. 302 MiB: one RAM page, then device
            assertEquals(3, edge & 3, "level 3 table");
            long l3 = edge & 0xfffffffff000L;
            assertEquals(0, mem.u64(l3) & (7L << 2), "first page RAM");
            assertEquals(1L << 2, mem.u64(l3 + 8) & (7L << 2), "second page device");
            assertEquals(1L << 2, mem.u64(l2 + 8 * 151) & (7L << 2), "then device blocks");
        }
    }
}
