package dev.efiemu.debugger.gdb;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Hook;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * gdb's breakpoints and watchpoints as engine hooks; guest memory is never patched.
 *
 * <ul>
 *   <li>a breakpoint (Z0/Z1) is a code hook on the one address;
 *   <li>a watchpoint (Z2/Z3/Z4) is a memory hook over the range. A stop inside a memory hook would
 *       leave the instruction half done, so the hook records the hit and adds a code hook that stops
 *       before the next instruction (effective because runs with watchpoints are counted).
 * </ul>
 * The hooks record their stop in the {@link StopState} and stop the engine.
 */
final class Breakpoints {
    /** The watchpoint kinds, with the stop reason gdb expects for each. */
    enum Watch {
        WRITE("watch"), READ("rwatch"), ACCESS("awatch");

        final String reason;

        Watch(String reason) {
            this.reason = reason;
        }

        boolean sees(boolean write) {
            return this == ACCESS || (this == WRITE) == write;
        }
    }

    /** The largest range one watchpoint may cover. */
    static final long MAX_WATCH = 0x10000;

    private record Watchpoint(Watch kind, long address, long length, Hook hook) {}

    private final Cpu cpu;
    private final StopState stops;
    /** True once the debugger is gone (detached or disconnected): hooks still installed do nothing. */
    private final BooleanSupplier ignoring;
    private final Map<Long, Hook> code = new LinkedHashMap<>();
    private final List<Watchpoint> watches = new ArrayList<>();
    /** The code hook that stops before the instruction after a watchpoint hit. */
    private Hook stopNext;

    Breakpoints(Cpu cpu, StopState stops, BooleanSupplier ignoring) {
        this.cpu = cpu;
        this.stops = stops;
        this.ignoring = ignoring;
    }

    /** Z0 ({@code software}) or Z1; a second insert at the same address keeps the first. */
    void insert(long address, boolean software) {
        if (code.containsKey(address)) return;
        code.put(address, cpu.onCode(address, address, (c, a, size) -> onBreakpoint(c, a, software)));
        cpu.flushTranslations(); // code translated earlier has no call-out for the new hook
    }

    void remove(long address) {
        Hook h = code.remove(address);
        if (h != null) h.close();
    }

    /** Whether a watchpoint of {@code length} bytes at {@code address} can be set. */
    static boolean validWatch(long address, long length) {
        return length > 0 && length <= MAX_WATCH && address + length >= address;
    }

    void insert(Watch kind, long address, long length) {
        for (Watchpoint w : watches) {
            if (w.kind() == kind && w.address() == address && w.length() == length) return;
        }
        long begin = Math.max(0, address - 15); // accesses that start below and reach into the range
        Hook h = cpu.onMemoryAccess(begin, address + length - 1, kind != Watch.WRITE, kind != Watch.READ,
                (c, write, a, size, value) -> onWatch(c, kind, address, length, write, a, size));
        watches.add(new Watchpoint(kind, address, length, h));
        cpu.flushTranslations();
    }

    void remove(Watch kind, long address, long length) {
        for (Iterator<Watchpoint> it = watches.iterator(); it.hasNext(); ) {
            Watchpoint w = it.next();
            if (w.kind() == kind && w.address() == address && w.length() == length) {
                w.hook().close();
                it.remove();
            }
        }
    }

    /** With watchpoints set, runs are counted so that a watchpoint's stop lands before the next instruction. */
    boolean watching() {
        return !watches.isEmpty();
    }

    /** After every engine run: the one-shot stop hook of a watchpoint hit goes. */
    void afterRun() {
        if (stopNext != null) {
            stopNext.close();
            stopNext = null;
        }
    }

    /** Removes every hook (detach). */
    void clear() {
        afterRun();
        for (Hook h : code.values()) h.close();
        code.clear();
        for (Watchpoint w : watches) w.hook().close();
        watches.clear();
        cpu.flushTranslations();
    }

    /** Code hook of a breakpoint (emulation thread, inside the engine). */
    private void onBreakpoint(Cpu c, long address, boolean software) {
        if (ignoring.getAsBoolean()) return;
        if (stops.skipBreakpoint(address)) return; // the instruction we resume at: gdb has already been told about it
        stops.record(Stop.of(Stop.SIGTRAP, software ? "swbreak:;" : "hwbreak:;"));
        c.stop();
    }

    /** Memory hook of a watchpoint: remember the hit and stop before the next instruction. */
    private void onWatch(Cpu c, Watch kind, long addr, long len, boolean write, long a, int size) {
        if (ignoring.getAsBoolean()) return;
        if (a + size <= addr || a >= addr + len) return;
        if (!kind.sees(write)) return;
        stops.record(Stop.of(Stop.SIGTRAP, kind.reason + ":" + Long.toHexString(Math.max(a, addr)) + ";"));
        if (stopNext == null) stopNext = c.onCode(0, -1L, (c2, pc, sz) -> c2.stop());
    }
}
