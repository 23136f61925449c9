package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Hook;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a debugger needs from the engine: counted runs (single-step), precise watchpoint stops, hooks added late. */
class DebugSupportX86Test extends GuestTest {
    DebugSupportX86Test() {
        super(Arch.X86_64);
    }

    @Test
    void countedRunExecutesExactlyThatManyInstructions() {
        long end = load("""
                mov eax, 1
                mov ebx, 2
                mov ecx, 3
                """);
        RunResult r = cpu.run(CODE, end); // translated without counting first
        assertEquals(3, cpu.reg(X86Reg.RCX));
        cpu.reg(X86Reg.RAX, 0);
        cpu.reg(X86Reg.RBX, 0);
        cpu.reg(X86Reg.RCX, 0);
        // ... with a hook on one instruction (and one elsewhere, as the firmware's trap hook), so
        // the block has a call-out there only
        Hook h = cpu.onCode(CODE, CODE, (c, a, sz) -> {});
        Hook elsewhere = cpu.onCode(DATA, DATA + 0xfff, (c, a, sz) -> {});
        cpu.flushTranslations();
        cpu.run(CODE, end);
        cpu.reg(X86Reg.RAX, 0);
        cpu.reg(X86Reg.RBX, 0);
        cpu.reg(X86Reg.RCX, 0);
        r = cpu.run(CODE, end, 1);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(CODE + 5, cpu.reg(X86Reg.RIP));
        assertEquals(1, cpu.reg(X86Reg.RAX));
        assertEquals(0, cpu.reg(X86Reg.RBX));
        r = cpu.run(cpu.reg(X86Reg.RIP), end, 1);
        assertEquals(CODE + 10, cpu.reg(X86Reg.RIP));
        assertEquals(2, cpu.reg(X86Reg.RBX));
        // A plain run afterwards is unbounded again.
        r = cpu.run(cpu.reg(X86Reg.RIP), end);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(end, cpu.reg(X86Reg.RIP));
        assertEquals(3, cpu.reg(X86Reg.RCX));
        h.close();
        elsewhere.close();
    }

    /**
     * A stop requested inside a memory hook takes effect right after the access, in the middle of the
     * instruction, and leaves the PC on that instruction: resuming would run it again (a
     * read-modify-write twice). A watchpoint therefore defers its stop: in a counted run every
     * instruction has a hook call-out, so a code hook added from the memory hook stops cleanly before
     * the next instruction.
     */
    @Test
    void watchpointStopsAfterTheWritingInstructionInCountedRun() {
        long end = load("""
                mov rbx, 0x200000
                mov eax, 7
                mov qword ptr [rbx + 8], rax
                add qword ptr [rbx + 8], 1
                add eax, 1
                add eax, 1
                """);
        long rmw = CODE + 7 + 5 + 4;
        List<Long> hits = new ArrayList<>();
        Hook[] stopNext = {null};
        // Call-outs are inlined while a single code hook exists; a second (idle) one keeps them generic,
        // so a hook added during the run is seen. The firmware's trap hook plays that role in a Machine.
        Hook idle = cpu.onCode(0, 0, (c, a, sz) -> {});
        try (Hook h = cpu.onMemoryAccess(DATA, DATA + 0xfff, false, true, (c, write, address, size, value) -> {
            hits.add(value);
            if (stopNext[0] == null) stopNext[0] = c.onCode(0, -1L, (c2, a, sz) -> c2.stop());
        })) {
            RunResult r = cpu.run(CODE, end, Long.MAX_VALUE);
            assertEquals(RunResult.Kind.STOPPED, r.kind());
            assertEquals(rmw, cpu.reg(X86Reg.RIP), "stopped right after the store");
            assertEquals(7, cpu.readU64(DATA + 8));
            stopNext[0].close();
            stopNext[0] = null;
            r = cpu.run(cpu.reg(X86Reg.RIP), end, Long.MAX_VALUE);
            assertEquals(RunResult.Kind.STOPPED, r.kind());
            assertEquals(rmw + 5, cpu.reg(X86Reg.RIP), "stopped right after the read-modify-write");
            assertEquals(8, cpu.readU64(DATA + 8), "the read-modify-write ran once");
            assertEquals(7, cpu.reg(X86Reg.RAX));
            stopNext[0].close();
        }
        idle.close();
        assertEquals(List.of(7L, 8L), hits);
        RunResult r = cpu.run(cpu.reg(X86Reg.RIP), end);
        assertEquals(RunResult.Kind.UNTIL, r.kind());
        assertEquals(9, cpu.reg(X86Reg.RAX));
        assertEquals(8, cpu.readU64(DATA + 8));
    }

    @Test
    void codeHookAddedAfterTranslationFires() {
        long end = load("""
                xor eax, eax
                mov ecx, 10
            1:  add eax, 1
                dec ecx
                jnz 1b
                """);
        cpu.run(CODE, end);
        assertEquals(10, cpu.reg(X86Reg.RAX));
        long loop = CODE + 2 + 5;
        List<Long> hits = new ArrayList<>();
        Hook h = cpu.onCode(loop, loop, (c, address, size) -> hits.add(address));
        cpu.flushTranslations();
        cpu.run(CODE, end);
        assertEquals(10, hits.size());
        h.close();
        cpu.run(CODE, end);
        assertEquals(10, hits.size());
    }
}
