package dev.efiemu.debugger.gdb;

import dev.efiemu.core.debug.ServiceCalls;
import dev.efiemu.core.machine.ExecutionControl;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineHalt;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.trap.Service;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GDB remote stub for one {@link Machine} (x86_64): gdb connects over TCP, the machine waits for
 * it before the payload's first instruction, and gdb then controls the run. This class is the
 * session: the {@link ExecutionControl} seams, the loop that answers gdb while the target is
 * stopped, and detach, kill and disconnects. The parts: {@link Rsp} and {@link PacketDecoder} (the
 * codec), {@link GdbConnection} (the transport), {@link Commands} (the packet dispatcher),
 * {@link StopState} (the stop model), {@link Breakpoints} (breakpoints and watchpoints as engine
 * hooks), {@link Interrupts} (Ctrl-C and kills from other threads), {@link Monitor} (monitor commands).
 *
 * <p>Threads: the emulation thread does all the work (it runs the guest, and while the guest is
 * stopped it reads gdb's packets and answers them, so the engine is only ever touched from that
 * thread). The connection's reader thread only frames packets and reports Ctrl-C and disconnects.
 *
 * <p>How each feature is made:
 * <ul>
 *   <li>breakpoints (Z0/Z1): a code hook on the one address, never a patch of guest memory;
 *   <li>single-step: a counted engine run of one instruction; a service call counts as one
 *       instruction (its stub "returns" to the caller);
 *   <li>watchpoints (Z2/Z3/Z4): a memory hook over the range; the stop is deferred to the next
 *       instruction (a code hook added from the memory hook, effective in counted runs), because a
 *       stop inside a memory hook leaves the instruction half done;
 *   <li>break on a service: the run loop's service seam, before the handler, with the call decoded;
 *   <li>Ctrl-C: a flag the emulation thread checks before every engine run and every service call;
 *       only a guest that calls no service for a grace period is stopped asynchronously, and such a
 *       stop cannot be resumed (resuming after an asynchronous stop corrupts guest stores): the
 *       user can inspect, and continuing ends the run.
 * </ul>
 */
public final class GdbStub implements ExecutionControl, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GdbStub.class);

    /**
     * @param detachContinue  when gdb disconnects without detaching, let the run go on (else it ends)
     * @param acceptMillis    how long to wait for gdb to connect (0 = as long as it takes)
     * @param interruptGraceMillis how long Ctrl-C waits for a service call before stopping asynchronously
     */
    public record Options(boolean detachContinue, long acceptMillis, long interruptGraceMillis) {
        public static Options defaults() {
            // Long enough for the kernels' in-stub decompression (the longest stretch without a
            // service call in the real payloads) even with a watchpoint slowing the engine.
            return new Options(false, 0, 3000);
        }

        public Options withDetachContinue(boolean b) {
            return new Options(b, acceptMillis, interruptGraceMillis);
        }

        public Options withAcceptMillis(long ms) {
            return new Options(detachContinue, ms, interruptGraceMillis);
        }

        public Options withInterruptGraceMillis(long ms) {
            return new Options(detachContinue, acceptMillis, ms);
        }
    }

    private static final String DISCONNECTED = "gdb disconnected: the run stops (use --gdb-detach-continue to let it go on)";

    private final Machine machine;
    private final Cpu cpu;
    private final Options options;
    private final GdbConnection conn;
    private final StopState stops = new StopState();
    private final Interrupts interrupts;
    private final Breakpoints breakpoints;
    private final Monitor monitor;
    private final Commands commands;

    /** gdb has been awaited (emulation thread). */
    private boolean started;
    /** The run goes on without the debugger. */
    private volatile boolean detached;
    /** The client went away. */
    private volatile boolean disconnected;

    private GdbStub(Machine machine, GdbConnection conn, Options options) {
        if (machine.config().arch() != Arch.X86_64) {
            throw new UnsupportedOperationException("the gdb stub supports x86_64 guests only");
        }
        this.machine = machine;
        this.cpu = machine.cpu();
        this.conn = conn;
        this.options = options;
        this.interrupts = new Interrupts(cpu, options.interruptGraceMillis());
        this.breakpoints = new Breakpoints(cpu, stops, () -> detached || disconnected);
        this.monitor = new Monitor(machine, stops);
        this.commands = new Commands(conn, cpu, stops, breakpoints, monitor);
        machine.traps().onCall(e -> {
            if (monitor.tracing() && stops.replyOwed() && !detached) conn.console("trace: " + e.format() + "\n");
        });
    }

    /**
     * Listens on {@code host:port} (0 = any free port) and becomes {@code machine}'s execution
     * control; gdb is awaited when the payload's first instruction is about to run.
     */
    public static GdbStub attach(Machine machine, String host, int port, Options options) throws IOException {
        GdbConnection c = GdbConnection.listen(host, port);
        GdbStub stub = new GdbStub(machine, c, options);
        machine.control(stub);
        return stub;
    }

    public InetSocketAddress address() {
        return conn.address();
    }

    // ---- ExecutionControl (emulation thread) ---------------------------------------------------

    @Override
    public long beforeRun(Machine m) {
        if (detached) return 0;
        if (!started) {
            started = true;
            connect();
            serve(stops.last());
        } else if (stops.stepDone()) {
            // The stepped "instruction" was a service call: it has returned to its caller.
            serve(Stop.of(Stop.SIGTRAP, null));
        } else if (interrupts.requested()) {
            serve(interruptStop(null));
        }
        checkGone();
        if (detached) return 0;
        stops.running(pc());
        interrupts.running(true);
        if (stops.stepping()) {
            stops.stepStarted();
            return 1;
        }
        return breakpoints.watching() ? Long.MAX_VALUE : 0;
    }

    @Override
    public boolean afterStop(Machine m, RunResult r) {
        interrupts.running(false);
        breakpoints.afterRun();
        if (detached) return false;
        checkGone();
        Stop s = stops.takePending();
        if (s == null && stops.stepping() && r.kind() == RunResult.Kind.UNTIL) s = Stop.of(Stop.SIGTRAP, null);
        if (s == null && interrupts.hardStopIssued() && r.kind() == RunResult.Kind.STOPPED) {
            stops.markNonResumable();
            s = new Stop(Stop.SIGINT, null, List.of("efiemu: the guest made no service call for "
                    + options.interruptGraceMillis() + " ms, so it was stopped asynchronously; inspect freely, but the run"
                    + " cannot resume from here (resuming after an asynchronous stop corrupts guest stores): continuing ends it.\n"),
                    false, false);
        }
        if (s == null) return false;
        serve(s);
        return true;
    }

    @Override
    public void beforeService(Machine m, Service s) {
        interrupts.running(false);
        if (detached) return;
        checkGone();
        Stop stop = null;
        if (interrupts.requested()) {
            stop = interruptStop(s);
        } else if (monitor.breaksOn(s.name())) {
            stop = new Stop(Stop.SIGTRAP, null, List.of("efiemu: break-service " + ServiceCalls.describe(m, s) + "\n"), true, true);
        }
        if (stop != null) {
            stops.service(s);
            try {
                serve(stop);
            } finally {
                stops.service(null);
            }
        }
        interrupts.running(true);
    }

    @Override
    public void beforeFault(Machine m, RunOutcome outcome) {
        interrupts.running(false);
        if (detached || !conn.connected() || interrupts.killRequested()) return;
        serve(new Stop(Stop.SIGSEGV, null, List.of("efiemu: " + outcome.message() + " (the run ends when you continue)\n"), false, false));
    }

    private Stop interruptStop(Service s) {
        String where = s != null ? " at the call " + ServiceCalls.describe(machine, s) : "";
        return new Stop(Stop.SIGINT, null, List.of("efiemu: interrupted" + where + "\n"), s != null, true);
    }

    /**
     * Reports a stop (when gdb waits for one) and answers gdb until it resumes the target, detaches,
     * kills it, or goes away.
     */
    private void serve(Stop stop) {
        interrupts.running(false);
        interrupts.clear();
        stops.stopped(stop, pc());
        if (stops.replyOwed()) {
            for (String msg : stop.messages()) conn.console(msg);
            conn.send(stop.packet());
            stops.replyOwed(false);
        }
        while (true) {
            String p = conn.next();
            if (p == null) {
                goneWhileStopped();
                return;
            }
            Commands.Resume r;
            try {
                r = commands.handle(p);
            } catch (MachineHalt h) {
                throw h;
            } catch (RuntimeException e) {
                log.debug("gdb packet '{}' failed", abbreviate(p), e);
                conn.send("E01");
                continue;
            }
            switch (r) {
                case NONE:
                    continue;
                case DETACH:
                    detach("gdb detached");
                    return;
                case KILL:
                    throw halt("killed by gdb");
                default:
                    break;
            }
            if (stop.signal() == Stop.SIGSEGV && !stop.resumable()) {
                stops.replyOwed(true); // the fault ends the run; finish() tells gdb
                return;
            }
            if (!stop.resumable() || stops.nonResumable()) {
                stops.replyOwed(true);
                throw halt("the run ended: it cannot resume after an asynchronous stop");
            }
            stops.resumed(r == Commands.Resume.STEP, stop);
            interrupts.running(true);
            return;
        }
    }

    // ---- detach, kill, disconnect, interrupt --------------------------------------------------

    /** Leaves the run to itself: no hooks, no stops, and the machine without its control. */
    private void detach(String why) {
        log.info("{}: the run goes on without the debugger", why);
        breakpoints.clear();
        monitor.clearServiceBreaks();
        detached = true;
        stops.detached();
        interrupts.running(true);
        machine.control(null);
    }

    private MachineHalt halt(String why) {
        interrupts.killed(why);
        return new MachineHalt(new RunOutcome(RunOutcome.Kind.FAULT, 0, null, null, why));
    }

    /** At every seam: the client is gone (or asked to kill) while the guest ran. */
    private void checkGone() {
        if (interrupts.killRequested()) {
            interrupts.cancelHardStop();
            String reason = interrupts.killReason();
            throw halt(reason != null ? reason : "the debugger went away");
        }
        if (disconnected && !detached) {
            if (options.detachContinue()) {
                detach("gdb disconnected (--gdb-detach-continue)");
            } else {
                throw halt(DISCONNECTED);
            }
        }
    }

    private void goneWhileStopped() {
        disconnected = true;
        if (options.detachContinue()) {
            detach("gdb disconnected (--gdb-detach-continue)");
        } else {
            throw halt(DISCONNECTED);
        }
    }

    /** The reader thread's reports. */
    private final GdbConnection.Events events = new GdbConnection.Events() {
        @Override
        public void interrupt() {
            if (detached) return;
            interrupts.interrupt();
        }

        @Override
        public void disconnected() {
            if (interrupts.closing() || detached) return;
            disconnected = true;
            if (interrupts.running() && !options.detachContinue()) {
                interrupts.kill(DISCONNECTED); // the run ends at the next seam, or asynchronously: it is never resumed
            }
        }
    };

    private void connect() {
        try {
            conn.accept(options.acceptMillis(), events);
        } catch (IOException e) {
            throw halt("no debugger: " + e.getMessage());
        }
    }

    // ---- the end ------------------------------------------------------------------------------

    /**
     * Tells gdb how the run ended (when it is waiting for that) and closes the connection. Call
     * after {@link Machine#run} returned.
     */
    public void finish(RunOutcome outcome) {
        interrupts.markClosing();
        interrupts.cancelHardStop();
        if (!detached && conn.connected() && stops.replyOwed()) {
            String last = switch (outcome.kind()) {
                case EXIT_BOOT_SERVICES -> "W00";
                case RETURNED, RESET -> String.format("W%02x", (int) (outcome.status() & 0xff));
                default -> String.format("X%02x", interrupts.killRequested() ? Stop.SIGKILL : Stop.SIGSEGV);
            };
            conn.console("efiemu: " + outcome.message() + "\n");
            conn.sendFinal(last, 1000);
        }
        close();
    }

    @Override
    public void close() {
        interrupts.markClosing();
        interrupts.running(false);
        interrupts.cancelHardStop();
        conn.close();
        interrupts.close();
        if (machine.control() == this) machine.control(null);
    }

    private long pc() {
        return cpu.reg(X86Reg.RIP);
    }

    private static String abbreviate(String p) {
        return p.length() > 80 ? p.substring(0, 80) + "..." : p;
    }
}
