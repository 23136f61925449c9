package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Hook;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Entry traps ({@link Cpu#onEntry}) and the stops that must stay precise while Unicorn's exit
 * checks after memory accesses are off ({@link ExitChecks}): run on the fast engine and on the 2.0.1
 * fallback (where an entry trap is a code hook).
 */
class GuestCodeTrapsX86Test extends GuestTest {
    GuestCodeTrapsX86Test() {
        super(Arch.X86_64);
    }

    static final long STUBS_END = STUBS + 0xfff;

    @BeforeEach
    void stubs() {
        cpu.write(STUBS, Asm.assemble(Arch.X86_64, "movabs rax, 0x8000000000000003\nret"));
        cpu.writeU64(DATA, STUBS); // the "service table"
    }

    /** The guest calls a stub through a table; the trap stops it before the stub's first instruction. */
    @Test
    void entryTrapStopsBeforeTheStubRunsAndTheGuestGoesOn() {
        List<Long> seen = new ArrayList<>();
        cpu.onEntry(STUBS, STUBS_END, (c, address, size) -> {
            seen.add(address);
            seen.add(c.reg(X86Reg.RCX));
            c.stop();
        });
        long end = load("""
                mov rbx, 0x200000
                mov rcx, 14
                xor eax, eax
                call qword ptr [rbx]
                add rax, 100
                mov qword ptr [rbx + 8], rax
                """);
        RunResult r = cpu.run(CODE, end);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(STUBS, r.pc());
        assertEquals(List.of(STUBS, 14L), seen);
        assertEquals(0, cpu.reg(X86Reg.RAX), "the stub's mov rax must not have run");
        // Return from the stub as the trap dispatcher does: RAX = status, RIP = [RSP], RSP += 8.
        long rsp = cpu.reg(X86Reg.RSP);
        long ret = cpu.readU64(rsp);
        cpu.reg(X86Reg.RSP, rsp + 8);
        cpu.reg(X86Reg.RAX, 42);
        assertEquals(RunResult.Kind.UNTIL, cpu.run(ret, end).kind());
        assertEquals(142, cpu.readU64(DATA + 8));
    }

    /** A data access to the stub page first (its TLB entry then has no execute right) changes nothing. */
    @Test
    void entryTrapHoldsAfterTheGuestReadAndWroteTheStubPage() {
        List<Long> seen = new ArrayList<>();
        cpu.onEntry(STUBS, STUBS_END, (c, address, size) -> {
            seen.add(address);
            c.stop();
        });
        long end = load("""
                mov rbx, 0x300000
                mov al, byte ptr [rbx]
                mov byte ptr [rbx + 0x800], al
                call rbx
                """);
        RunResult r = cpu.run(CODE, end);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(List.of(STUBS), seen);
        assertEquals(0x48, cpu.read(STUBS + 0x800, 1)[0]);
    }

    /** Each call traps again (nothing of the stub page is ever translated and cached). */
    @Test
    void everyCallTraps() {
        int[] calls = {0};
        cpu.onEntry(STUBS, STUBS_END, (c, address, size) -> {
            calls[0]++;
            c.stop();
        });
        long end = load("""
                mov rbx, 0x200000
                mov r12, 5
            1:  call qword ptr [rbx]
                dec r12
                jnz 1b
                """);
        long pc = CODE;
        for (int i = 0; i < 5; i++) {
            RunResult r = cpu.run(pc, end);
            assertEquals(RunResult.Kind.STOPPED, r.kind());
            long rsp = cpu.reg(X86Reg.RSP);
            pc = cpu.readU64(rsp);
            cpu.reg(X86Reg.RSP, rsp + 8);
        }
        assertEquals(RunResult.Kind.UNTIL, cpu.run(pc, end).kind());
        assertEquals(5, calls[0]);
        assertEquals(0, cpu.reg(X86Reg.R12));
    }

    /**
     * On the fast engine the trapped pages are not executable: an entry the hook lets pass is a
     * fault there. On the 2.0.1 fallback the trap is a code hook, so the stub's code runs (its
     * {@code ret} at +10 returns to the guest).
     */
    @Test
    void entryTheHookDoesNotStopIsAFetchFaultOnTheFastEngineAndRunsOnTheSlowOne() {
        cpu.onEntry(STUBS, STUBS_END, (c, address, size) -> {});
        long end = load("mov rbx, 0x300000\nadd rbx, 10\ncall rbx");
        RunResult r = cpu.run(CODE, end);
        if (!cpu.engine().fast()) {
            assertEquals(RunResult.Kind.UNTIL, r.kind(), "the slow engine runs the stub's ret");
            return;
        }
        assertEquals(RunResult.Kind.MEMORY_FAULT, r.kind());
        assertEquals(STUBS + 10, r.address());
        assertEquals(STUBS + 10, r.pc());
    }

    /** Removing the trap makes the stub ordinary code again. */
    @Test
    void closedEntryTrapRunsTheStub() {
        Hook h = cpu.onEntry(STUBS, STUBS_END, (c, address, size) -> c.stop());
        long end = load("mov rbx, 0x200000\ncall qword ptr [rbx]");
        assertEquals(RunResult.Kind.STOPPED, cpu.run(CODE, end).kind());
        h.close();
        cpu.reg(X86Reg.RSP, STACK_TOP);
        assertEquals(RunResult.Kind.UNTIL, cpu.run(CODE, end).kind());
        assertEquals(0x8000000000000003L, cpu.reg(X86Reg.RAX));
    }

    /**
     * A code hook added after the code ran (and was translated) without exit checks still stops
     * before its instruction: the engine retranslates with the checks on.
     */
    @Test
    void codeHookAddedLaterStopsBeforeItsInstruction() {
        long end = load("""
                mov rbx, 0x200000
                mov qword ptr [rbx + 16], 7
                mov eax, 1
                mov qword ptr [rbx + 24], 8
                mov eax, 2
                """);
        assertEquals(RunResult.Kind.UNTIL, cpu.run(CODE, end).kind());
        if (cpu instanceof UnicornCpu u && cpu.engine().fast() && ExitChecks.usable(Arch.X86_64)) {
            assertTrue(u.exitChecksOff(), "no hooks: the exit checks are off");
        }
        long second = CODE + Asm.assemble(Arch.X86_64, """
                mov rbx, 0x200000
                mov qword ptr [rbx + 16], 7
                mov eax, 1
                mov qword ptr [rbx + 24], 8
                """).length; // the second mov eax
        Hook h = cpu.onCode(second, second, (c, a, s) -> c.stop());
        cpu.writeU64(DATA + 24, 0);
        RunResult r = cpu.run(CODE, end);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(second, r.pc());
        assertEquals(1, cpu.reg(X86Reg.RAX));
        assertEquals(8, cpu.readU64(DATA + 24));
        if (cpu instanceof UnicornCpu u) assertFalse(u.exitChecksOff(), "a code hook needs the checks");
        h.close();
        assertEquals(RunResult.Kind.UNTIL, cpu.run(CODE, end).kind());
        assertEquals(2, cpu.reg(X86Reg.RAX));
        if (cpu instanceof UnicornCpu u && cpu.engine().fast() && ExitChecks.usable(Arch.X86_64)) {
            assertTrue(u.exitChecksOff(), "the hook is gone: the checks are off again");
        }
    }

    /** A memory hook's stop takes effect right after the access (a watchpoint), not at the end of the block. */
    @Test
    void memoryHookStopsRightAfterTheAccess() {
        long end = load("""
                mov rbx, 0x200000
                mov qword ptr [rbx + 16], 7
                mov eax, 1
                mov eax, 2
                """);
        assertEquals(RunResult.Kind.UNTIL, cpu.run(CODE, end).kind());
        cpu.reg(X86Reg.RAX, 0);
        cpu.onMemoryAccess(DATA + 16, DATA + 23, false, true, (c, write, address, size, value) -> c.stop());
        RunResult r = cpu.run(CODE, end);
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertEquals(0, cpu.reg(X86Reg.RAX), "the instruction after the store must not have run");
    }

    /** Another thread's stop (the --budget watchdog) still ends a guest spinning in one chained block. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void stopFromAnotherThreadEndsATightLoop() throws Exception {
        long end = load("""
                mov rbx, 0x200000
            1:  inc qword ptr [rbx + 32]
                jmp 1b
                """);
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            cpu.stop();
        });
        t.start();
        RunResult r = cpu.run(CODE, end);
        t.join();
        assertEquals(RunResult.Kind.STOPPED, r.kind());
        assertTrue(cpu.readU64(DATA + 32) > 1000, "the loop ran");
    }
}
