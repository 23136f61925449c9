package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.RunResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Cpu#onEntry} on aarch64 (Unicorn's 1 KiB pages there): the stop comes before the stub writes X0. */
class GuestCodeTrapsArm64Test extends GuestTest {
    GuestCodeTrapsArm64Test() {
        super(Arch.AARCH64);
    }

    @Test
    void entryTrapStopsBeforeTheStubAndTheGuestGoesOn() {
        cpu.write(STUBS, Asm.assemble(Arch.AARCH64, "movz x0, #3\nmovk x0, #0x8000, lsl #48\nret"));
        cpu.writeU64(DATA, STUBS);
        List<Long> seen = new ArrayList<>();
        cpu.onEntry(STUBS, STUBS + 0xffff, (c, address, size) -> {
            seen.add(address);
            seen.add(c.reg(Arm64Reg.X0));
            c.stop();
        });
        byte[] code = Asm.assemble(Arch.AARCH64, """
                movz x19, #0x20, lsl #16
                ldr x8, [x19]
                mov x0, #14
                blr x8
                add x0, x0, #100
                str x0, [x19, #8]
                end_here: nop
                """);
        cpu.write(CODE, code);
        long end = CODE + code.length - 4;
        RunResult r = cpu.run(CODE, end);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(STUBS, r.pc());
        assertEquals(List.of(STUBS, 14L), seen);
        assertEquals(14, cpu.reg(Arm64Reg.X0), "the stub's movz must not have run");
        // Return as the dispatcher does: X0 = status, PC = X30.
        cpu.reg(Arm64Reg.X0, 42);
        assertEquals(RunResult.Kind.UNTIL, cpu.run(cpu.reg(Arm64Reg.X30), end).kind());
        assertEquals(142, cpu.readU64(DATA + 8));
    }
}
