package dev.efiemu.core.machine;

import dev.efiemu.core.trap.Service;
import dev.efiemu.cpu.RunResult;

/**
 * A debugger's seam in the {@link Machine} run loop. Optional: with none set the loop pays nothing.
 *
 * <p>Every call comes on the emulation thread, outside the engine (never from inside a hook), so an
 * implementation may read and write registers and memory, add and remove hooks, and block while a
 * user looks at a stop. Per engine run the order is: {@link #beforeRun}, the engine runs, then
 * {@link #afterStop}; when the engine stopped on a service stub and the stop was not the control's,
 * {@link #beforeService} follows and then the service's handler.
 */
public interface ExecutionControl {
    /**
     * The engine is about to run from the current program counter. May block (a debugger waiting for
     * its client). Returns 0 for an ordinary run, or an instruction count &gt; 0 for a counted run
     * (single-step; precise stops for watchpoints), see {@link dev.efiemu.cpu.Cpu#run(long, long, long)}.
     */
    long beforeRun(Machine machine);

    /**
     * The engine returned without a fault. Returns true when the stop was the control's own
     * (breakpoint, step, watchpoint, interrupt): the loop then runs again from the current program
     * counter, and a service whose stub was reached at the same moment is not dispatched (its stub
     * traps again when it runs).
     */
    boolean afterStop(Machine machine, RunResult result);

    /** The guest called {@code service}; its handler runs when this returns (arguments as the guest passed them). */
    void beforeService(Machine machine, Service service);

    /** The run is about to end with {@code outcome} (a fault); registers and memory are still the faulting state. */
    void beforeFault(Machine machine, RunOutcome outcome);
}
