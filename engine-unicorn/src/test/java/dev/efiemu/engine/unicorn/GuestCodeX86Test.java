package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real x86_64 guest code through whatever engine the JVM loaded (fast 2.1.4, or 2.0.1 in the fallback run). */
class GuestCodeX86Test extends GuestTest {
    GuestCodeX86Test() {
        super(Arch.X86_64);
    }

    @Test
    void loopComputesKnownValue() {
        RunResult r = runCode("""
                xor eax, eax
                mov ecx, 1000
            1:  add rax, rcx
                dec rcx
                jnz 1b
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(500500, cpu.reg(X86Reg.RAX));
    }

    /**
     * A service trap: the guest calls through a pointer table to a real stub
     * ({@code mov rax, EFI_UNSUPPORTED; ret}); a hook on the {@code ret} sets RAX from Java; the
     * guest's own ret returns, and the guest uses the value.
     */
    @Test
    void trappedCallResultIsUsedByGuest() {
        byte[] stub = Asm.assemble(Arch.X86_64, "movabs rax, 0x8000000000000003\nret");
        cpu.write(STUBS, stub);
        long retAddr = STUBS + stub.length - 1;
        cpu.writeU64(DATA, STUBS); // the "service table"
        List<Long> args = new ArrayList<>();
        cpu.onCode(retAddr, retAddr, (c, address, size) -> {
            long a = c.reg(X86Reg.RCX);
            args.add(a);
            c.reg(X86Reg.RAX, a * 3 + 1);
        });
        RunResult r = runCode("""
                mov rbx, 0x200000
                mov rcx, 14
                sub rsp, 40
                call qword ptr [rbx]
                add rsp, 40
                add rax, 100
                mov qword ptr [rbx + 8], rax
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(List.of(14L), args);
        assertEquals(14 * 3 + 1 + 100, cpu.readU64(DATA + 8));
    }

    @Test
    void untrappedStubAnswersUnsupported() {
        byte[] stub = Asm.assemble(Arch.X86_64, "movabs rax, 0x8000000000000003\nret");
        cpu.write(STUBS, stub);
        runCode("mov rbx, 0x300000\ncall rbx");
        assertEquals(EFI_UNSUPPORTED, cpu.reg(X86Reg.RAX));
    }

    @Test
    void storeToDataPageThenFetchFromCodePage() {
        // Stores across many data pages, then calls code on a page that data accesses also touched.
        RunResult r = runCode("""
                mov rdi, 0x200000
                mov ecx, 4096
            1:  mov qword ptr [rdi], rcx
                add rdi, 4096
                dec ecx
                jnz 1b
                mov rdi, 0x200000
                mov rax, qword ptr [rdi]
                lea rbx, [rip + fn]
                mov dl, byte ptr [rbx]
                call rbx
                jmp 2f
            fn: add rax, 0x11
                ret
            2:
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(4096 + 0x11, cpu.reg(X86Reg.RAX));
        assertEquals(1, cpu.readU64(DATA + 4095L * 4096));
    }

    @Test
    void selfModifyingCodeIsHonoured() {
        // Runs "mov eax, imm32" once, patches its immediate, runs it again: the new value must win.
        RunResult r = runCode("""
                xor ebx, ebx
                mov ecx, 2
            1:  call patchme
                add ebx, eax
                lea rdi, [rip + patchme + 1]
                mov dword ptr [rdi], 1000
                dec ecx
                jnz 1b
                jmp 2f
            patchme:
                mov eax, 7
                ret
            2:
                """);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(7 + 1000, cpu.reg(X86Reg.RBX));
    }

    @Test
    void unmappedAccessIsAMemoryFaultWithItsAddress() {
        RunResult r = runCode("mov rax, 0x7000000000\nmov rbx, qword ptr [rax]");
        assertEquals(RunResult.Kind.MEMORY_FAULT, r.kind());
        assertEquals(0x7000000000L, r.address() & ~0xfffL);
        assertTrue(r.detail().toLowerCase().contains("unmapped"), r.detail());
    }

    @Test
    void faultAddressIsKnownWhenRunningForever() {
        // Running to FOREVER makes the engine look up the page of address -1 as well; that must
        // not be mistaken for the guest's faulting access.
        byte[] code = Asm.assemble(Arch.X86_64, "mov rax, 0x7000000000\nmov rbx, qword ptr [rax]");
        cpu.write(CODE, code);
        RunResult r = cpu.run(CODE, Cpu.FOREVER);
        assertEquals(RunResult.Kind.MEMORY_FAULT, r.kind());
        assertEquals(0x7000000000L, r.address() & ~0xfffL);
    }

    @Test
    void garbageIsAnInvalidInstruction() {
        cpu.write(CODE, new byte[] {0x0f, 0x0b}); // ud2
        RunResult r = cpu.run(CODE, CODE + 2);
        assertEquals(RunResult.Kind.INVALID_INSTRUCTION, r.kind());
    }

    @Test
    void hookExceptionStopsTheRunAndIsRethrown() {
        cpu.write(CODE, Asm.assemble(Arch.X86_64, "nop\nnop\nhlt"));
        cpu.onCode(CODE + 1, CODE + 1, (c, a, s) -> {
            throw new IllegalStateException("boom from hook");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.run(CODE, CODE + 2));
        assertEquals("boom from hook", e.getMessage());
        // The CPU stays usable afterwards.
        cpu.write(CODE + 0x100, Asm.assemble(Arch.X86_64, "mov eax, 5"));
        assertEquals(RunResult.Kind.UNTIL, cpu.run(CODE + 0x100, CODE + 0x105).kind());
        assertEquals(5, cpu.reg(X86Reg.RAX));
    }

    @Test
    void stopFromHookStopsBeforeTheHookedInstruction() {
        cpu.write(CODE, Asm.assemble(Arch.X86_64, "mov eax, 1\nmov eax, 2\nhlt"));
        cpu.onCode(CODE + 5, CODE + 5, (c, a, s) -> c.stop());
        RunResult r = cpu.run(CODE, Cpu.FOREVER);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(1, cpu.reg(X86Reg.RAX));
        assertEquals(CODE + 5, r.pc());
    }

    @Test
    void cpuidHookAnswers() {
        cpu.onCpuid(c -> {
            if (c.reg(X86Reg.RAX) != 1) return false;
            c.reg(X86Reg.RAX, 0x806f8);
            c.reg(X86Reg.RBX, 0);
            c.reg(X86Reg.RCX, 0x80202001L);
            c.reg(X86Reg.RDX, 0x078bfbffL);
            return true;
        });
        runCode("mov eax, 1\ncpuid");
        assertEquals(0x078bfbffL, cpu.reg(X86Reg.RDX));
        assertEquals(0x806f8, cpu.reg(X86Reg.RAX));
    }

    @Test
    void rdtscIsAnsweredOnTheFastEngine() {
        var hook = cpu.onRdtsc(c -> 0x1234_5678_9abcL);
        runCode("rdtsc");
        if (cpu.engine().fast()) {
            assertEquals(0x5678_9abcL, cpu.reg(X86Reg.RAX));
            assertEquals(0x1234, cpu.reg(X86Reg.RDX));
        } else {
            assertEquals(null, hook, "2.0.1 cannot hook RDTSC and says so");
        }
    }

    @Test
    void msrAndDescriptorTablesRoundTrip() {
        cpu.msr(0xC0000102, 0xffff800012345000L); // IA32_KERNEL_GS_BASE
        assertEquals(0xffff800012345000L, cpu.msr(0xC0000102));
        cpu.descriptorTable("GDTR", 0x1000, 0x27);
        assertEquals(0x1000, cpu.descriptorTable("GDTR")[0]);
        assertEquals(0x27, cpu.descriptorTable("GDTR")[1]);
    }

    @Test
    void warmUpPreservesStateAndCodeStillRuns() {
        cpu.reg(X86Reg.RSI, 0x1234);
        cpu.write(CODE + 0x800, new byte[] {1, 2, 3});
        cpu.warmUp(CODE + 0x800, 0x100000, 8192);
        assertEquals(0x1234, cpu.reg(X86Reg.RSI));
        assertEquals(3, cpu.read(CODE + 0x802, 1)[0]);
        assertEquals(500500, runLoopAgain());
    }

    private long runLoopAgain() {
        runCode("xor eax, eax\nmov ecx, 1000\n1: add rax, rcx\ndec rcx\njnz 1b");
        return cpu.reg(X86Reg.RAX);
    }
}
