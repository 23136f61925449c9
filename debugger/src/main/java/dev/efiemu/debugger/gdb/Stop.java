package dev.efiemu.debugger.gdb;

import java.util.List;

/**
 * Why the target stopped, as gdb is told.
 *
 * @param signal    the signal number of the stop reply (there is no OS: it only tells gdb what kind of stop)
 * @param reason    the stop reason field ({@code swbreak:;}, {@code watch:ADDR;}) or null
 * @param messages  console text gdb shows before the stop
 * @param atService stopped before a service handler: a step then runs the service as one instruction
 * @param resumable false when continuing ends the run (a fault, an asynchronous stop)
 */
record Stop(int signal, String reason, List<String> messages, boolean atService, boolean resumable) {
    static final int SIGINT = 2, SIGTRAP = 5, SIGKILL = 9, SIGSEGV = 11;

    static Stop of(int signal, String reason, String... messages) {
        return new Stop(signal, reason, List.of(messages), false, true);
    }

    /** The stop reply packet. */
    String packet() {
        return String.format("T%02x%sthread:1;", signal, reason == null ? "" : reason);
    }
}
