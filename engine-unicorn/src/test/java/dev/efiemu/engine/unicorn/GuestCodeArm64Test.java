package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.RunResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real aarch64 guest code through the loaded engine. */
class GuestCodeArm64Test extends GuestTest {
    GuestCodeArm64Test() {
        super(Arch.AARCH64);
    }

    @Test
    void loopComputesKnownValue() {
        RunResult r = runCode("""
                mov x0, #0
                mov x1, #1000
            1:  add x0, x0, x1
                subs x1, x1, #1
                b.ne 1b
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(500500, cpu.reg(Arm64Reg.X0));
    }

    /** The trap stub on aarch64: {@code mov x0, EFI_UNSUPPORTED; ret}; the hook on ret sets X0. */
    @Test
    void trappedCallResultIsUsedByGuest() {
        byte[] stub = Asm.assemble(Arch.AARCH64, "movz x0, #3\nmovk x0, #0x8000, lsl #48\nret");
        cpu.write(STUBS, stub);
        long retAddr = STUBS + stub.length - 4;
        cpu.writeU64(DATA, STUBS);
        List<Long> args = new ArrayList<>();
        cpu.onCode(retAddr, retAddr, (c, address, size) -> {
            long a = c.reg(Arm64Reg.X0);
            args.add(a);
            c.reg(Arm64Reg.X0, a * 3 + 1);
        });
        RunResult r = runCode("""
                movz x19, #0x20, lsl #16
                ldr x8, [x19]
                mov x0, #14
                blr x8
                add x0, x0, #100
                str x0, [x19, #8]
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        // The stub's own movs ran before the hook: the argument the hook saw is EFI_UNSUPPORTED's
        // low half only if the stub clobbered X0 first, so read arguments on entry, not at ret.
        assertEquals(1, args.size());
        assertEquals(args.get(0) * 3 + 1 + 100, cpu.readU64(DATA + 8));
    }

    @Test
    void argumentsAreReadAtStubEntry() {
        byte[] stub = Asm.assemble(Arch.AARCH64, "movz x0, #3\nmovk x0, #0x8000, lsl #48\nret");
        cpu.write(STUBS, stub);
        long[] seen = {-1};
        cpu.onCode(STUBS, STUBS, (c, a, s) -> seen[0] = c.reg(Arm64Reg.X0));
        runCode("movz x8, #0x30, lsl #16\nmov x0, #14\nblr x8");
        assertEquals(14, seen[0]);
        assertEquals(0x8000000000000003L, cpu.reg(Arm64Reg.X0));
    }

    @Test
    void storeToDataPageThenFetchFromCodePage() {
        RunResult r = runCode("""
                movz x1, #0x20, lsl #16
                mov x2, #4096
            1:  str x2, [x1]
                add x1, x1, #1, lsl #12
                subs x2, x2, #1
                b.ne 1b
                movz x1, #0x20, lsl #16
                ldr x0, [x1]
                adr x3, fn
                ldrb w4, [x3]
                blr x3
                b 2f
            fn: add x0, x0, #0x11
                ret
            2:
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(4096 + 0x11, cpu.reg(Arm64Reg.X0));
    }

    @Test
    void selfModifyingCodeIsHonoured() {
        // patchme: "movz w0, #7"; the guest rewrites it to "movz w0, #1000" (0x52807d00) and reruns it.
        RunResult r = runCode("""
                mov x19, #0
                mov x20, #2
                movz w21, #0x7d00
                movk w21, #0x5280, lsl #16
            1:  bl patchme
                add x19, x19, x0
                adr x1, patchme
                str w21, [x1]
                subs x20, x20, #1
                b.ne 1b
                b 2f
            patchme:
                movz w0, #7
                ret
            2:
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(7 + 1000, cpu.reg(Arm64Reg.X19));
    }

    @Test
    void unmappedAccessIsAMemoryFault() {
        RunResult r = runCode("movz x1, #0x70, lsl #32\nldr x0, [x1]");
        assertEquals(RunResult.Kind.MEMORY_FAULT, r.kind());
        assertEquals(0x7000000000L, r.address() & ~0xfffL);
        assertTrue(r.detail().toLowerCase().contains("unmapped"), r.detail());
    }

    @Test
    void garbageIsReported() {
        cpu.write(CODE, new byte[] {0, 0, 0, 0}); // udf #0
        List<Integer> interrupts = new ArrayList<>();
        cpu.onInterrupt((c, n) -> {
            interrupts.add(n);
            c.stop();
        });
        RunResult r = cpu.run(CODE, CODE + 4);
        assertTrue(r.kind() == RunResult.Kind.INVALID_INSTRUCTION || !interrupts.isEmpty(),
                "udf must fault: " + r + " interrupts " + interrupts);
    }

    @Test
    void warmUpPreservesState() {
        cpu.reg(Arm64Reg.X1, 0x1234);
        cpu.warmUp(CODE + 0x800, 0x100000, 8192);
        assertEquals(0x1234, cpu.reg(Arm64Reg.X1));
        assertEquals(RunResult.Kind.UNTIL, runCode("mov x0, #5").kind());
        assertEquals(5, cpu.reg(Arm64Reg.X0));
    }
}
