package dev.efiemu.cli;

import dev.efiemu.core.debug.ServiceFilter;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.debugger.gdb.GdbStub;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Stack;
import picocli.CommandLine;

/** What {@code --gdb} and {@code --trace=NAMES} do for {@code run} and {@code debug}. */
final class GdbOptions {
    static final String DEFAULT_ADDRESS = "127.0.0.1:1234";

    private GdbOptions() {}

    /**
     * {@code --trace} takes its names only when they look like names: {@code --trace payload.efi}
     * must leave the payload alone ("*" then selects every service).
     */
    static final class TraceNames implements CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, CommandLine.Model.ArgSpec spec, CommandLine.Model.CommandSpec cmd) {
            String next = args.isEmpty() ? null : args.peek();
            if (next != null && next.matches("[A-Za-z0-9_.*,]+") && !Files.exists(Path.of(next))) {
                spec.setValue(args.pop());
            } else {
                spec.setValue("*");
            }
        }
    }

    /** Prints the service calls {@code names} selects ("*" = all) as the run makes them. */
    static void trace(Machine machine, String names, PrintStream err) {
        ServiceFilter f = ServiceFilter.parse(names.equals("*") ? "" : names);
        machine.traps().onCall(e -> {
            if (f.test(e.service())) err.println("trace: " + e.format());
        });
    }

    /** Starts the stub for {@code spec} ([HOST:]PORT; null = no debugger) and says where gdb should connect. */
    /**
     * The engine a gdb session runs on: breakpoints, single-step and watchpoints are engine hooks
     * that only Unicorn gives (docs/kvm.md), so {@code auto} means Unicorn and {@code kvm} is refused.
     */
    static String engineFor(String engine) {
        String e = engine == null ? "auto" : engine.strip().toLowerCase(java.util.Locale.ROOT);
        if (e.equals("kvm")) {
            throw new RunCommand.InputError("--engine kvm: the debugger runs on Unicorn only (breakpoints, single-step and watchpoints"
                    + " are engine hooks the KVM engine does not have); use --engine unicorn");
        }
        return e.equals("auto") ? "unicorn" : engine;
    }

    static GdbStub attach(Machine machine, String spec, boolean detachContinue) throws IOException {
        if (spec == null) return null;
        String host = "127.0.0.1";
        String port = spec.strip();
        int colon = port.lastIndexOf(':');
        if (colon >= 0) {
            host = port.substring(0, colon);
            port = port.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            if (host.isEmpty()) host = "127.0.0.1";
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new RunCommand.InputError("--gdb " + spec + ": expected [HOST:]PORT");
        }
        if (p < 0 || p > 65535) throw new RunCommand.InputError("--gdb " + spec + ": port out of range");
        GdbStub stub = GdbStub.attach(machine, host, p, GdbStub.Options.defaults().withDetachContinue(detachContinue));
        InetSocketAddress a = stub.address();
        String where = a.getAddress().getHostAddress() + ":" + a.getPort();
        System.err.println("efiemu: waiting for gdb on " + where + "  (gdb -ex 'set architecture i386:x86-64' -ex 'target remote "
                + where + "')");
        return stub;
    }
}
