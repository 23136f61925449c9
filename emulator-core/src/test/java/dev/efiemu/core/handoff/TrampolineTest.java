package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
