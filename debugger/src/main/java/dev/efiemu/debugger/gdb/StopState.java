package dev.efiemu.debugger.gdb;

import dev.efiemu.core.trap.Service;

/**
 * The stop model of a debugging session (emulation thread only): the last stop gdb was told
 * about, the stop a breakpoint or watchpoint hook recorded during an engine run, whether gdb waits
 * for a stop reply, and how the target was resumed (continue or step).
 */
final class StopState {
    /** What '?' answers. */
    private Stop last = Stop.of(Stop.SIGTRAP, null);
    /** Recorded by a hook inside the engine; the first one wins. */
    private Stop pending;
    /** gdb resumed the target and waits for a stop reply. */
    private boolean replyOwed;
    private boolean stepping;
    /** The step has started an engine run (or a service call, which counts as one instruction). */
    private boolean stepRan;
    /** Where the target was when it stopped, until it resumes. */
    private long resumedAt = -1;
    /** A breakpoint at this address does not fire: the run resumes on it, and gdb knows already. */
    private long skipBreakAt = -1;
    /** Stopped asynchronously: inspecting is fine, continuing ends the run. */
    private boolean nonResumable;
    /** The service call the target is stopped at, or null. */
    private Service service;

    Stop last() {
        return last;
    }

    /** A hook saw a stop; the first one recorded during a run is the one reported. */
    void record(Stop s) {
        if (pending == null) pending = s;
    }

    Stop takePending() {
        Stop s = pending;
        pending = null;
        return s;
    }

    /** From a breakpoint hook: true when the hit is the instruction the run resumed at (and is to be ignored, once). */
    boolean skipBreakpoint(long address) {
        if (address != skipBreakAt) return false;
        skipBreakAt = -1;
        return true;
    }

    /** An engine run starts at {@code pc}: a breakpoint there fires only when the target did not stop on it. */
    void running(long pc) {
        skipBreakAt = pc == resumedAt ? pc : -1;
        resumedAt = -1;
    }

    /** The target stopped at {@code pc} with {@code s}: gdb is to be told. */
    void stopped(Stop s, long pc) {
        stepping = false;
        stepRan = false;
        last = s;
        resumedAt = pc;
    }

    /** gdb resumed the target from the stop {@code from}; it waits for the next stop reply. */
    void resumed(boolean step, Stop from) {
        stepping = step;
        stepRan = step && from.atService();
        replyOwed = true;
    }

    boolean stepping() {
        return stepping;
    }

    /** A step whose one instruction has run: the next seam is its stop. */
    boolean stepDone() {
        return stepping && stepRan;
    }

    void stepStarted() {
        stepRan = true;
    }

    boolean replyOwed() {
        return replyOwed;
    }

    void replyOwed(boolean b) {
        replyOwed = b;
    }

    /** The debugger let go: no step in progress, no reply owed. */
    void detached() {
        stepping = false;
        replyOwed = false;
    }

    boolean nonResumable() {
        return nonResumable;
    }

    void markNonResumable() {
        nonResumable = true;
    }

    Service service() {
        return service;
    }

    void service(Service s) {
        service = s;
    }
}
