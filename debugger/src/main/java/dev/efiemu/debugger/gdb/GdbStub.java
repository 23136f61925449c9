package dev.efiemu.debugger.gdb;

import dev.efiemu.core.Machine;
import dev.efiemu.core.MachineHalt;
import dev.efiemu.core.RunOutcome;
import dev.efiemu.core.debug.ExecutionControl;
import dev.efiemu.core.debug.ServiceCalls;
import dev.efiemu.core.trap.Service;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.Hook;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GDB remote stub for one {@link Machine} (x86_64): gdb connects over TCP, the machine waits for
 * it before the payload's first instruction, and gdb then controls the run.
 *
 * <p>Threads: the emulation thread does all the work (it runs the guest, and while the guest is
 * stopped it reads gdb's packets and answers them, so the engine is only ever touched from that
 * thread). The connection's reader thread only frames packets and reports Ctrl-C and disconnects.
 *
 * <p>How each feature is made (DESIGN.md §2 constraints):
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
    private static final int SIGINT = 2, SIGTRAP = 5, SIGKILL = 9, SIGSEGV = 11;

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

    /** Why the target stopped, as gdb is told. */
    record Stop(int signal, String reason, List<String> messages, boolean atService, boolean resumable) {
        static Stop of(int signal, String reason, String... messages) {
            return new Stop(signal, reason, List.of(messages), false, true);
        }

        String packet() {
            return String.format("T%02x%sthread:1;", signal, reason == null ? "" : reason);
        }
    }

    private record Watch(char type, long address, long length, Hook hook) {}

    private final Machine machine;
    private final Cpu cpu;
    private final Options options;
    private final GdbConnection conn;
    private final ScheduledExecutorService timer;
    private final Map<Long, Hook> breakpoints = new LinkedHashMap<>();
    private final List<Watch> watches = new ArrayList<>();
    private final Monitor monitor;

    // emulation-thread state
    private boolean started;
    private boolean detached;
    private boolean waitingForStopReply;
    private boolean stepping;
    private boolean stepRan;
    private long resumedAt = -1;
    private long skipBreakAt = -1;
    private Stop lastStop = Stop.of(SIGTRAP, null);
    private Stop ownStop;
    private Hook stopNext;
    private boolean nonResumable;
    private Service currentService;

    // set from other threads
    private volatile boolean running;
    private volatile boolean interruptRequested;
    private volatile boolean hardStopIssued;
    private volatile boolean disconnected;
    private volatile boolean killRequested;
    private volatile String killReason;
    private volatile boolean closing;
    private ScheduledFuture<?> hardStopTask;

    private GdbStub(Machine machine, GdbConnection conn, Options options) {
        if (machine.config().arch() != Arch.X86_64) {
            throw new UnsupportedOperationException("the gdb stub supports x86_64 guests only");
        }
        this.machine = machine;
        this.cpu = machine.cpu();
        this.conn = conn;
        this.options = options;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "efiemu-gdb-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        this.monitor = new Monitor(machine, this);
        machine.traps().onCall(e -> {
            if (monitor.tracing() && waitingForStopReply && !detached) conn.console("trace: " + e.format() + "\n");
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
            serve(lastStop);
        } else if (stepping && stepRan) {
            // The stepped "instruction" was a service call: it has returned to its caller.
            serve(Stop.of(SIGTRAP, null));
        } else if (interruptRequested) {
            serve(interruptStop(null));
        }
        checkGone();
        if (detached) return 0;
        long pc = pc();
        skipBreakAt = pc == resumedAt ? pc : -1;
        resumedAt = -1;
        running = true;
        if (stepping) {
            stepRan = true;
            return 1;
        }
        return watches.isEmpty() ? 0 : Long.MAX_VALUE;
    }

    @Override
    public boolean afterStop(Machine m, RunResult r) {
        running = false;
        closeStopNext();
        if (detached) return false;
        checkGone();
        Stop s = ownStop;
        ownStop = null;
        if (s == null && stepping && r.kind() == RunResult.Kind.UNTIL) s = Stop.of(SIGTRAP, null);
        if (s == null && hardStopIssued && r.kind() == RunResult.Kind.STOPPED) {
            nonResumable = true;
            s = new Stop(SIGINT, null, List.of("efiemu: the guest made no service call for "
                    + options.interruptGraceMillis() + " ms, so it was stopped asynchronously; inspect freely, but the run"
                    + " cannot resume from here (DESIGN.md §2): continuing ends it.\n"), false, false);
        }
        if (s == null) return false;
        serve(s);
        return true;
    }

    @Override
    public void beforeService(Machine m, Service s) {
        running = false;
        if (detached) return;
        checkGone();
        Stop stop = null;
        if (interruptRequested) {
            stop = interruptStop(s);
        } else if (monitor.breaksOn(s.name())) {
            stop = new Stop(SIGTRAP, null, List.of("efiemu: break-service " + ServiceCalls.describe(m, s) + "\n"), true, true);
        }
        if (stop != null) {
            currentService = s;
            try {
                serve(stop);
            } finally {
                currentService = null;
            }
        }
        running = true;
    }

    @Override
    public void beforeFault(Machine m, RunOutcome outcome) {
        running = false;
        if (detached || !conn.connected() || killRequested) return;
        serve(new Stop(SIGSEGV, null, List.of("efiemu: " + outcome.message() + " (the run ends when you continue)\n"), false, false));
    }

    private Stop interruptStop(Service s) {
        String where = s != null ? " at the call " + ServiceCalls.describe(machine, s) : "";
        return new Stop(SIGINT, null, List.of("efiemu: interrupted" + where + "\n"), s != null, true);
    }

    /**
     * Reports a stop (when gdb waits for one) and answers gdb until it resumes the target, detaches,
     * kills it, or goes away.
     */
    private void serve(Stop stop) {
        running = false;
        stepping = false;
        stepRan = false;
        clearInterrupt();
        lastStop = stop;
        resumedAt = pc();
        if (waitingForStopReply) {
            for (String msg : stop.messages()) conn.console(msg);
            conn.send(stop.packet());
            waitingForStopReply = false;
        }
        while (true) {
            String p = conn.next();
            if (p == null) {
                goneWhileStopped();
                return;
            }
            Resume r;
            try {
                r = handle(p);
            } catch (MachineHalt h) {
                throw h;
            } catch (RuntimeException e) {
                log.debug("gdb packet '{}' failed", abbreviate(p), e);
                conn.send("E01");
                continue;
            }
            if (r == Resume.NONE) continue;
            if (r == Resume.DETACHED) return;
            if (stop.signal() == SIGSEGV && !stop.resumable()) {
                waitingForStopReply = true; // the fault ends the run; finish() tells gdb
                return;
            }
            if (!stop.resumable() || nonResumable) {
                waitingForStopReply = true;
                throw halt("the run ended: it cannot resume after an asynchronous stop");
            }
            stepping = r == Resume.STEP;
            stepRan = stepping && stop.atService();
            waitingForStopReply = true;
            running = true;
            return;
        }
    }

    private enum Resume { NONE, CONTINUE, STEP, DETACHED }

    // ---- packets ------------------------------------------------------------------------------

    private Resume handle(String p) {
        char c = p.isEmpty() ? 0 : p.charAt(0);
        switch (c) {
            case '?':
                conn.send(lastStop.packet());
                return Resume.NONE;
            case 'g':
                conn.send(X86Target.all(cpu));
                return Resume.NONE;
            case 'G':
                X86Target.writeAll(cpu, p.substring(1));
                conn.send("OK");
                return Resume.NONE;
            case 'p': {
                X86Target.Register r = X86Target.byNumber((int) Rsp.number(p.substring(1)));
                conn.send(r == null ? "E45" : X86Target.hex(cpu, r));
                return Resume.NONE;
            }
            case 'P': {
                int eq = p.indexOf('=');
                X86Target.Register r = eq < 0 ? null : X86Target.byNumber((int) Rsp.number(p.substring(1, eq)));
                if (r == null || p.length() - eq - 1 != 2 * r.bytes()) {
                    conn.send("E45");
                } else {
                    X86Target.write(cpu, r, Rsp.le(p.substring(eq + 1)));
                    conn.send("OK");
                }
                return Resume.NONE;
            }
            case 'm':
                conn.send(readMemory(p.substring(1)));
                return Resume.NONE;
            case 'M':
                conn.send(writeMemory(p.substring(1), false));
                return Resume.NONE;
            case 'X':
                conn.send(writeMemory(p.substring(1), true));
                return Resume.NONE;
            case 'c':
            case 'C':
                return resumeAt(p, Resume.CONTINUE);
            case 's':
            case 'S':
                return resumeAt(p, Resume.STEP);
            case 'Z':
            case 'z':
                conn.send(breakpoint(p));
                return Resume.NONE;
            case 'D':
                conn.send("OK");
                detach("gdb detached");
                return Resume.DETACHED;
            case 'k':
                throw halt("killed by gdb");
            case 'H':
            case 'T':
                conn.send("OK");
                return Resume.NONE;
            case 'v':
                return vPacket(p);
            case 'q':
            case 'Q': {
                String reply = query(p);
                if (reply != null) conn.send(reply);
                return Resume.NONE;
            }
            default:
                conn.send("");
                return Resume.NONE;
        }
    }

    private Resume resumeAt(String p, Resume how) {
        // c[addr], s[addr], C sig[;addr], S sig[;addr]: the signal is ignored (there is no OS to deliver it).
        String rest = p.substring(1);
        if (p.charAt(0) == 'C' || p.charAt(0) == 'S') {
            int semi = rest.indexOf(';');
            rest = semi < 0 ? "" : rest.substring(semi + 1);
        }
        if (!rest.isEmpty()) cpu.reg(X86Reg.RIP, Rsp.number(rest));
        return how;
    }

    private Resume vPacket(String p) {
        if (p.equals("vCont?")) {
            conn.send("vCont;c;C;s;S");
            return Resume.NONE;
        }
        if (p.startsWith("vCont;")) {
            for (String action : p.substring(6).split(";")) {
                int colon = action.indexOf(':');
                String thread = colon < 0 ? null : action.substring(colon + 1);
                String a = colon < 0 ? action : action.substring(0, colon);
                if (thread != null && !(thread.equals("-1") || thread.equals("1") || thread.equals("p1.1")
                        || thread.equals("p1.-1") || thread.equals("0"))) {
                    continue;
                }
                if (a.isEmpty()) break;
                switch (a.charAt(0)) {
                    case 'c', 'C':
                        return Resume.CONTINUE;
                    case 's', 'S', 'r':
                        return Resume.STEP;
                    default:
                        break;
                }
            }
            conn.send("E01");
            return Resume.NONE;
        }
        if (p.startsWith("vKill")) {
            conn.send("OK");
            throw halt("killed by gdb");
        }
        conn.send(""); // vMustReplyEmpty, vFile, vAttach, vRun...: not supported
        return Resume.NONE;
    }

    private String query(String p) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=" + Integer.toHexString(GdbConnection.MAX_PACKET)
                    + ";qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+";
        }
        if (p.equals("QStartNoAckMode")) {
            conn.send("OK");
            conn.noAck();
            return null;
        }
        if (p.startsWith("qXfer:features:read:")) return features(p.substring("qXfer:features:read:".length()));
        if (p.equals("qAttached") || p.startsWith("qAttached:")) return "1";
        if (p.equals("qC")) return "QC1";
        if (p.equals("qfThreadInfo")) return "m1";
        if (p.equals("qsThreadInfo")) return "l";
        if (p.startsWith("qThreadExtraInfo")) return Rsp.hex("efiemu boot CPU");
        if (p.startsWith("qSymbol")) return "OK";
        if (p.startsWith("qRcmd,")) {
            String out = monitor.run(Rsp.unhexText(p.substring(6)));
            if (!out.isEmpty()) conn.console(out.endsWith("\n") ? out : out + "\n");
            return "OK";
        }
        return "";
    }

    private static String features(String args) {
        // annex:offset,length
        int colon = args.lastIndexOf(':');
        if (colon < 0) return "E00";
        if (!args.substring(0, colon).equals("target.xml")) return "E00";
        String[] ol = args.substring(colon + 1).split(",");
        if (ol.length != 2) return "E00";
        long off = Rsp.number(ol[0]), len = Math.min(Rsp.number(ol[1]), GdbConnection.MAX_PACKET - 16);
        String xml = X86Target.TARGET_XML;
        if (off >= xml.length()) return "l";
        int end = (int) Math.min(xml.length(), off + len);
        return (end == xml.length() ? "l" : "m") + xml.substring((int) off, end);
    }

    private String readMemory(String args) {
        String[] al = args.split(",");
        if (al.length != 2) return "E01";
        long addr = Rsp.number(al[0]);
        long len = Math.min(Rsp.number(al[1]), GdbConnection.MAX_PACKET / 2);
        if (len == 0) return "";
        if (addr + len < addr) return "E01";
        try {
            return Rsp.hex(cpu.read(addr, (int) len));
        } catch (RuntimeException e) {
            // Partially readable: as much as the first unreadable page allows.
            StringBuilder s = new StringBuilder();
            long at = addr;
            while (at < addr + len) {
                int n = (int) Math.min(addr + len - at, 0x1000 - (at & 0xfff));
                try {
                    s.append(Rsp.hex(cpu.read(at, n)));
                } catch (RuntimeException e2) {
                    break;
                }
                at += n;
            }
            return s.length() == 0 ? "E14" : s.toString();
        }
    }

    private String writeMemory(String args, boolean binary) {
        int colon = args.indexOf(':');
        if (colon < 0) return "E01";
        String[] al = args.substring(0, colon).split(",");
        if (al.length != 2) return "E01";
        long addr = Rsp.number(al[0]), len = Rsp.number(al[1]);
        if (len > GdbConnection.MAX_PACKET || addr + len < addr) return "E01";
        byte[] data;
        if (binary) {
            byte[] raw = args.substring(colon + 1).getBytes(StandardCharsets.ISO_8859_1);
            data = Rsp.unescape(raw, 0, raw.length);
        } else {
            data = Rsp.unhex(args.substring(colon + 1));
        }
        if (data.length != len) return "E01";
        if (len == 0) return "OK";
        try {
            cpu.write(addr, data);
        } catch (RuntimeException e) {
            return "E14";
        }
        cpu.flushTranslations(); // the user may have patched code
        return "OK";
    }

    // ---- breakpoints and watchpoints ----------------------------------------------------------

    private String breakpoint(String p) {
        boolean insert = p.charAt(0) == 'Z';
        String[] f = p.substring(1).split("[,;]");
        if (f.length < 3) return "E01";
        int type = (int) Rsp.number(f[0]);
        long addr = Rsp.number(f[1]);
        long kind = Rsp.number(f[2]);
        switch (type) {
            case 0, 1 -> {
                if (insert) {
                    if (!breakpoints.containsKey(addr)) {
                        breakpoints.put(addr, cpu.onCode(addr, addr, (c, a, size) -> onBreakpoint(c, a, type)));
                        cpu.flushTranslations(); // code translated earlier has no call-out for the new hook
                    }
                } else {
                    Hook h = breakpoints.remove(addr);
                    if (h != null) h.close();
                }
                return "OK";
            }
            case 2, 3, 4 -> {
                if (kind <= 0 || kind > 0x10000 || addr + kind < addr) return "E22";
                char t = type == 2 ? 'w' : type == 3 ? 'r' : 'a';
                if (insert) {
                    for (Watch w : watches) {
                        if (w.type() == t && w.address() == addr && w.length() == kind) return "OK";
                    }
                    long begin = Math.max(0, addr - 15); // accesses that start below and reach into the range
                    Hook h = cpu.onMemoryAccess(begin, addr + kind - 1, t != 'w', t != 'r',
                            (c, write, a, size, value) -> onWatch(c, t, addr, kind, write, a, size));
                    watches.add(new Watch(t, addr, kind, h));
                    cpu.flushTranslations();
                } else {
                    for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
                        Watch w = it.next();
                        if (w.type() == t && w.address() == addr && w.length() == kind) {
                            w.hook().close();
                            it.remove();
                        }
                    }
                }
                return "OK";
            }
            default -> {
                return "";
            }
        }
    }

    /** Code hook of a breakpoint (emulation thread, inside the engine). */
    private void onBreakpoint(Cpu c, long address, int type) {
        if (detached || disconnected) return;
        if (address == skipBreakAt) { // the instruction we resume at: gdb has already been told about it
            skipBreakAt = -1;
            return;
        }
        if (ownStop == null) ownStop = Stop.of(SIGTRAP, type == 0 ? "swbreak:;" : "hwbreak:;");
        c.stop();
    }

    /** Memory hook of a watchpoint: remember the hit and stop before the next instruction. */
    private void onWatch(Cpu c, char type, long addr, long len, boolean write, long a, int size) {
        if (detached || disconnected) return;
        if (a + size <= addr || a >= addr + len) return;
        if ((type == 'w' && !write) || (type == 'r' && write)) return;
        if (ownStop == null) {
            String kind = type == 'w' ? "watch" : type == 'r' ? "rwatch" : "awatch";
            ownStop = Stop.of(SIGTRAP, kind + ":" + Long.toHexString(Math.max(a, addr)) + ";");
        }
        if (stopNext == null) stopNext = c.onCode(0, -1L, (c2, pc, sz) -> c2.stop());
    }

    private void closeStopNext() {
        if (stopNext != null) {
            stopNext.close();
            stopNext = null;
        }
    }

    private void removeAllHooks() {
        closeStopNext();
        for (Hook h : breakpoints.values()) h.close();
        breakpoints.clear();
        for (Watch w : watches) w.hook().close();
        watches.clear();
        monitor.clearServiceBreaks();
        cpu.flushTranslations();
    }

    // ---- detach, kill, disconnect, interrupt --------------------------------------------------

    /** Leaves the run to itself: no hooks, no stops, and the machine without its control. */
    private void detach(String why) {
        log.info("{}: the run goes on without the debugger", why);
        removeAllHooks();
        detached = true;
        stepping = false;
        waitingForStopReply = false;
        running = true;
        machine.control(null);
    }

    private MachineHalt halt(String why) {
        killRequested = true;
        killReason = why;
        return new MachineHalt(new RunOutcome(RunOutcome.Kind.FAULT, 0, null, null, why));
    }

    /** At every seam: the client is gone (or asked to kill) while the guest ran. */
    private void checkGone() {
        if (killRequested) {
            cancelHardStop();
            throw halt(killReason != null ? killReason : "the debugger went away");
        }
        if (disconnected && !detached) {
            if (options.detachContinue()) {
                detach("gdb disconnected (--gdb-detach-continue)");
            } else {
                throw halt("gdb disconnected: the run stops (use --gdb-detach-continue to let it go on)");
            }
        }
    }

    private void goneWhileStopped() {
        disconnected = true;
        if (options.detachContinue()) {
            detach("gdb disconnected (--gdb-detach-continue)");
        } else {
            throw halt("gdb disconnected: the run stops (use --gdb-detach-continue to let it go on)");
        }
    }

    private final GdbConnection.Events events = new GdbConnection.Events() {
        @Override
        public void interrupt() {
            if (!running || detached || closing) return;
            interruptRequested = true;
            scheduleHardStop();
        }

        @Override
        public void disconnected() {
            if (closing || detached) return;
            disconnected = true;
            if (running && !options.detachContinue()) {
                killReason = "gdb disconnected: the run stops (use --gdb-detach-continue to let it go on)";
                killRequested = true;
                scheduleHardStop(); // the run ends at the next seam, or asynchronously: it is never resumed
            }
        }
    };

    private synchronized void scheduleHardStop() {
        if (hardStopTask != null || closing) return;
        long grace = killRequested ? 0 : Math.max(1, options.interruptGraceMillis());
        hardStopTask = timer.scheduleAtFixedRate(() -> {
            synchronized (this) { // never after clearInterrupt(): a late stop would hit the next run
                if ((interruptRequested || killRequested) && running && hardStopTask != null) {
                    hardStopIssued = true;
                    cpu.stop();
                }
            }
        }, grace, 250, TimeUnit.MILLISECONDS);
    }

    private synchronized void cancelHardStop() {
        if (hardStopTask != null) {
            hardStopTask.cancel(false);
            hardStopTask = null;
        }
    }

    private synchronized void clearInterrupt() {
        interruptRequested = false;
        cancelHardStop();
        hardStopIssued = false;
    }

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
        closing = true;
        cancelHardStop();
        if (!detached && conn.connected() && waitingForStopReply) {
            String last = switch (outcome.kind()) {
                case EXIT_BOOT_SERVICES -> "W00";
                case RETURNED, RESET -> String.format("W%02x", (int) (outcome.status() & 0xff));
                default -> String.format("X%02x", killRequested ? SIGKILL : SIGSEGV);
            };
            conn.console("efiemu: " + outcome.message() + "\n");
            conn.sendFinal(last, 1000);
        }
        close();
    }

    @Override
    public void close() {
        closing = true;
        running = false;
        cancelHardStop();
        conn.close();
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (machine.control() == this) machine.control(null);
    }

    // ---- for the monitor ----------------------------------------------------------------------

    /** The service call the target is stopped at, decoded, or null. */
    String currentCall() {
        return currentService == null ? null : ServiceCalls.describe(machine, currentService);
    }

    private long pc() {
        return cpu.reg(X86Reg.RIP);
    }

    private static String abbreviate(String p) {
        return p.length() > 80 ? p.substring(0, 80) + "..." : p;
    }
}
