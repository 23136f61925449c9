package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TrampolineTest {
    static Path repo() {
        return Path.of(System.getProperty("efiemu.repo", "..")).toAbsolutePath().normalize();
    }

    /** The committed trampoline.bin is exactly what trampoline.S assembles to. */
    @Test
    void committedBinaryMatchesTheSource() throws Exception {
        Path out = Files.createTempFile("trampoline", ".bin");
        try {
            Process p = new ProcessBuilder("bash", repo().resolve("scripts/assemble-trampoline.sh").toString(), out.toString())
                    .redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("assembler hung");
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
            assertArrayEquals(Files.readAllBytes(out), Trampoline.code());
        } finally {
            Files.delete(out);
        }
    }

    /**
     * Runs the 64-bit (kexec) entry in the emulator: it must restore every captured register,
     * return EFI_SUCCESS to the captured return address and fill the ACPI slot with the host RSDP.
     */
    @Test
    void entry64RestoresStateAndReturnsSuccess() {
        try (Firmware fw = new Firmware(MachineConfig.defaults(), PeImageFile::parse)) {
            Cpu cpu = fw.machine().cpu();
            long stack = fw.machine().stackTop() - 0x1000;
            long ret = 0x200000;
            fw.machine().memory().u64(stack, ret);
            Map<String, Long> regs = new LinkedHashMap<>();
            String[] names = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"};
            for (int i = 0; i < names.length; i++) regs.put(names[i], 0x1111L * (i + 1));
            regs.put("RSP", stack);
            regs.put("RFLAGS", 0x646L);
            long slot = fw.tables().configTableSlot(Guids.ACPI_20_TABLE);
            long smbiosSlot = fw.tables().configTableSlot(Guids.SMBIOS_TABLE);
            fw.trampoline().finish(fw.machine().memory(), regs, slot, smbiosSlot, 0xf59e0L, 0xf5a40L);
            RunResult r = cpu.run(fw.trampoline().base() + Trampoline.ENTRY64, ret);
            assertEquals(RunResult.Kind.UNTIL, r.kind(), String.valueOf(r));
            assertEquals(0, cpu.reg(X86Reg.RAX));
            assertEquals(stack + 8, cpu.reg(X86Reg.RSP));
            assertEquals(0x2222L, cpu.reg(X86Reg.RBX));
            assertEquals(0x7777L, cpu.reg(X86Reg.RBP));
            assertEquals(0x11110L, cpu.reg(X86Reg.R15));
            assertEquals(0, cpu.reg(X86Reg.RFLAGS) & 0x200, "interrupts stay off");
            assertEquals(0xf59e0L, fw.machine().memory().u64(slot));
            assertEquals(0xf5a40L, fw.machine().memory().u64(smbiosSlot), "the SMBIOS entry gets the host's");
            X86Reg[] all = {X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI, X86Reg.RBP, null,
                X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15};
            for (int i = 0; i < all.length; i++) {
                if (all[i] != null) assertEquals(0x1111L * (i + 2), cpu.reg(all[i]), all[i] + " restored");
            }
            assertEquals(0x400, cpu.reg(X86Reg.RFLAGS) & 0x400, "the captured flags restored (DF, which xor eax, eax leaves alone)");
        }
    }
    /**
     * The trampoline's own page tables, walked as the CPU would after the PVH entry loads CR3 (the
     * emulator's TLB ignores guest tables, so only QEMU would notice a wrong entry): PML4[0] ->
     * PDPT, one page directory per GiB of max(4 GiB, RAM), every 2 MiB page identity-mapped
     * present+writable+large; CR3 and the GDT (64-bit code 0x08, data 0x10, 32-bit code 0x18) in
     * the data block.
     */
    @Test
    void identityPageTablesAndGdt() {
        try (Firmware fw = new Firmware(MachineConfig.defaults(), PeImageFile::parse)) {
            var mem = fw.machine().memory();
            long base = fw.trampoline().base();
            assertEquals(0, base % 4096);
            assertTrue(base + 4 * 4096 <= 0x100000000L, "below 4 GiB");
            long pml4 = base + 0x1000, d = base + Trampoline.DATA;
            assertEquals(pml4, mem.u64(d + 0x88), "CR3");
            assertEquals(base + 0x2000 | 3, mem.u64(pml4));
            assertEquals(0, mem.u64(pml4 + 8), "only the first 512 GiB");
            int gibs = 4; // q35 with 1 GiB of RAM: the low 4 GiB
            for (int g = 0; g < gibs; g++) {
                long pd = mem.u64(base + 0x2000 + 8L * g);
                assertEquals(base + 0x3000 + 0x1000L * g | 3, pd, "PDPT[" + g + "]");
                for (int j : new int[] {0, 1, 255, 511}) {
                    assertEquals(((long) g << 30 | (long) j << 21) | 0x83, mem.u64((pd & ~0xfffL) + 8L * j), "PD[" + g + "][" + j + "]");
                }
            }
            assertEquals(0, mem.u64(base + 0x2000 + 8L * gibs), "nothing mapped past 4 GiB");
            assertEquals(dev.efiemu.core.memory.MemoryType.RUNTIME_SERVICES_CODE.code(), fw.machine().memoryMap().find(base).type(), "RuntimeServicesCode");
            assertEquals(0x00af9a000000ffffL, mem.u64(d + 0xc8), "64-bit code");
            assertEquals(0x00cf92000000ffffL, mem.u64(d + 0xd0), "data");
            assertEquals(0x00cf9a000000ffffL, mem.u64(d + 0xd8), "32-bit code");
            assertEquals(0, mem.u64(d + 0xc0), "null descriptor");
            assertEquals(4 * 8 - 1, mem.u16(d + 0xb0), "GDTR limit");
            assertEquals(d + 0xc0, mem.u64(d + 0xb2), "GDTR base");
            assertArrayEquals(Trampoline.code(), mem.read(base, Trampoline.code().length));
        }
    }
}
