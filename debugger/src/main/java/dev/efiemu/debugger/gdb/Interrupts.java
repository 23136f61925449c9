package dev.efiemu.debugger.gdb;

import dev.efiemu.cpu.Cpu;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What other threads ask of the emulation thread: Ctrl-C and kill requests arrive on the
 * connection's reader thread, and are served at the next seam (an engine run or a service call).
 * Only a guest that reaches no seam within the grace period is stopped asynchronously, by a timer
 * that stops the engine (such a stop cannot be resumed: resuming after an asynchronous stop
 * corrupts guest stores).
 */
final class Interrupts implements AutoCloseable {
    private final Cpu cpu;
    private final long graceMillis;
    private final ScheduledExecutorService timer;

    /** Guest code or a service handler runs (the target is not stopped at gdb's command). */
    private volatile boolean running;
    private volatile boolean requested;
    private volatile boolean hardStopIssued;
    private volatile boolean killRequested;
    private volatile String killReason;
    private volatile boolean closing;
    private ScheduledFuture<?> hardStopTask;

    Interrupts(Cpu cpu, long graceMillis) {
        this.cpu = cpu;
        this.graceMillis = graceMillis;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "efiemu-gdb-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    boolean running() {
        return running;
    }

    void running(boolean r) {
        running = r;
    }

    /** Ctrl-C arrived while the target ran. */
    boolean requested() {
        return requested;
    }

    /** The timer stopped the engine. */
    boolean hardStopIssued() {
        return hardStopIssued;
    }

    boolean killRequested() {
        return killRequested;
    }

    String killReason() {
        return killReason;
    }

    boolean closing() {
        return closing;
    }

    void markClosing() {
        closing = true;
    }

    /** Reader thread: Ctrl-C. Served at the next seam, or asynchronously after the grace period. */
    void interrupt() {
        if (!running || closing) return;
        requested = true;
        scheduleHardStop();
    }

    /** Reader thread: the run is to end at the next seam, or asynchronously at once: it is never resumed. */
    void kill(String reason) {
        killReason = reason;
        killRequested = true;
        scheduleHardStop();
    }

    /** Emulation thread: the run ends now, for {@code reason}. */
    void killed(String reason) {
        killRequested = true;
        killReason = reason;
    }

    private synchronized void scheduleHardStop() {
        if (hardStopTask != null || closing) return;
        long grace = killRequested ? 0 : Math.max(1, graceMillis);
        hardStopTask = timer.scheduleAtFixedRate(() -> {
            synchronized (this) { // never after clear(): a late stop would hit the next run
                if ((requested || killRequested) && running && hardStopTask != null) {
                    hardStopIssued = true;
                    cpu.stop();
                }
            }
        }, grace, 250, TimeUnit.MILLISECONDS);
    }

    synchronized void cancelHardStop() {
        if (hardStopTask != null) {
            hardStopTask.cancel(false);
            hardStopTask = null;
        }
    }

    /** The target stopped: the interrupt is served. */
    synchronized void clear() {
        requested = false;
        cancelHardStop();
        hardStopIssued = false;
    }

    /** Ends the timer thread. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
