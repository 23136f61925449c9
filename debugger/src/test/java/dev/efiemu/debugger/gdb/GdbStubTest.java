package dev.efiemu.debugger.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Service;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stub against hand-assembled guest code, driven by a scripted client: breakpoints, steps,
 * service breaks, watchpoints, Ctrl-C, and bad peers (malformed packets, huge lengths,
 * disconnects). Every wait is bounded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GdbStubTest {
    static final int TIMEOUT = 10_000;

    /*
     * The guest: f(D) with D = {u64 ping; u64 counter; u64 result}:
     *   push rbx; mov rbx, rcx; sub rsp, 0x20
     * loop (8):
     *   mov rcx, [rbx+8]; call [rbx]          ; Test.Ping(counter)
     *   mov [rbx+16], rax        (14)         ; a plain store
     *   add qword [rbx+8], 1     (18)         ; a read-modify-write
     *   cmp qword [rbx+8], 3     (23)
     *   jb loop                  (28)
     *   mov rax, [rbx+8]; add rsp, 0x20; pop rbx; ret   (30..39)
     */
    static final byte[] LOOP3 = bytes(
            0x53, 0x48, 0x89, 0xcb, 0x48, 0x83, 0xec, 0x20,
            0x48, 0x8b, 0x4b, 0x08, 0xff, 0x13,
            0x48, 0x89, 0x43, 0x10,
            0x48, 0x83, 0x43, 0x08, 0x01,
            0x48, 0x83, 0x7b, 0x08, 0x03,
            0x72, 0xea,
            0x48, 0x8b, 0x43, 0x08, 0x48, 0x83, 0xc4, 0x20, 0x5b, 0xc3);
    static final int STORE = 14, RMW = 18, CMP = 23, CALL = 12;
    /** Calls Test.Ping forever. */
    static final byte[] PING_FOREVER = bytes(0x53, 0x48, 0x89, 0xcb, 0x48, 0x83, 0xec, 0x20,
            0x48, 0x8b, 0x4b, 0x08, 0xff, 0x13, 0xeb, 0xf8);
    /** Reads unmapped memory: movabs rax, 0x7000000000; mov rax, [rax]. */
    static final byte[] FAULT = bytes(0x48, 0xb8, 0, 0, 0, 0, 0x70, 0, 0, 0, 0x48, 0x8b, 0x00, 0xc3);
    /** Spins without calling anything: jmp $. */
    static final byte[] SPIN = bytes(0xeb, 0xfe);

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    /** A machine running one guest function on its own thread, with the stub in its loop. */
    static final class Target implements AutoCloseable {
        final Machine machine;
        final GdbStub stub;
        final long code;
        final long data;
        final Service ping;
        final List<Long> pings = new CopyOnWriteArrayList<>();
        final CompletableFuture<RunOutcome> outcome = new CompletableFuture<>();
        volatile long pingDelayMillis;
        private final Thread thread;

        Target(byte[] program, GdbStub.Options options) throws IOException {
            machine = new Machine(MachineConfig.defaults().withMemory(256L << 20));
            code = machine.allocatePool(MemoryType.LOADER_CODE, 4096);
            data = machine.allocatePool(MemoryType.LOADER_DATA, 64);
            machine.memory().write(code, program);
            ping = machine.traps().define("Test.Ping", 1, call -> {
                pings.add(call.arg(0));
                if (pingDelayMillis > 0) {
                    try {
                        Thread.sleep(pingDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return call.arg(0) * 10 + 7;
            });
            machine.memory().u64(data, ping.address());
            stub = GdbStub.attach(machine, "127.0.0.1", 0, options.withAcceptMillis(TIMEOUT));
            thread = new Thread(() -> {
                try {
                    RunOutcome o = machine.run(() -> machine.callGuest(code, data));
                    stub.finish(o);
                    outcome.complete(o);
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                }
            }, "test-emulation");
            thread.setDaemon(true);
            thread.start();
        }

        RspClient connect() throws IOException {
            return new RspClient(stub.address(), TIMEOUT);
        }

        RunOutcome end() throws Exception {
            return outcome.get(TIMEOUT, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws Exception {
            stub.close();
            thread.join(TIMEOUT);
            assertFalse(thread.isAlive(), "emulation thread ended");
            machine.close();
        }
    }

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 3000;
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                    .filter(n -> n.startsWith("efiemu-gdb")).toList();
            if (left.isEmpty()) return;
            Thread.sleep(50);
        } while (System.currentTimeMillis() < deadline);
        assertTrue(left.isEmpty(), "threads left behind: " + left);
    }

    static long reg(String g, int n) {
        // 16 GPRs and rip are 8 bytes each at the start of the g packet
        return Rsp.le(g.substring(16 * n, 16 * n + 16));
    }

    static long rip(RspClient c) throws IOException {
        return Rsp.le(c.ask("p10"));
    }

    @Test
    void waitsBeforeFirstInstructionAndDescribesItself() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            String sup = c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
            assertTrue(sup.contains("PacketSize=4000") && sup.contains("qXfer:features:read+"), sup);
            String xml = c.ask("qXfer:features:read:target.xml:0,3fff");
            assertTrue(xml.startsWith("l") && xml.contains("<architecture>i386:x86-64</architecture>")
                    && xml.contains("org.gnu.gdb.i386.core") && xml.contains("name=\"fs_base\""), xml);
            String part = c.ask("qXfer:features:read:target.xml:10,20");
            assertEquals("m" + X86Target.TARGET_XML.substring(16, 48), part);
            assertEquals("T05thread:1;", c.ask("?"));
            assertEquals("1", c.ask("qAttached"));
            assertEquals("vCont;c;C;s;S", c.ask("vCont?"));
            String g = c.ask("g");
            assertEquals(t.code, reg(g, 16), "stopped at the first instruction");
            assertEquals(t.data, reg(g, 2), "rcx = the argument");
            assertEquals(t.pings.size(), 0);
            // register write and read back
            assertEquals("OK", c.ask("P0=" + Rsp.le(0x1122334455667788L, 8)));
            assertEquals(Rsp.le(0x1122334455667788L, 8), c.ask("p0"));
            // memory: read the code, write and read data
            assertEquals(Rsp.hex(LOOP3).substring(0, 16), c.ask("m" + Long.toHexString(t.code) + ",8"));
            assertEquals("OK", c.ask("M" + Long.toHexString(t.data + 24) + ",4:deadbeef"));
            assertEquals("deadbeef", c.ask("m" + Long.toHexString(t.data + 24) + ",4"));
            // X with binary data: '#' and '$' arrive escaped ('}' then the byte XOR 0x20).
            byte[] x = ("X" + Long.toHexString(t.data + 28) + ",2:}\u0003}\u0004").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            c.sendRaw("$" + new String(x, java.nio.charset.StandardCharsets.ISO_8859_1) + "#"
                    + String.format("%02x", Rsp.checksum(x, 0, x.length)));
            assertEquals("OK", c.reply());
            assertEquals("2324", c.ask("m" + Long.toHexString(t.data + 28) + ",2"));
            c.send("D");
            assertEquals("OK", c.reply());
            RunOutcome o = t.end();
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), o.message());
            assertEquals(3, o.status());
            assertEquals(List.of(0L, 1L, 2L), t.pings);
        }
    }

    @Test
    void breakpointThenStepThenContinue() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            long store = t.code + STORE;
            assertEquals("OK", c.ask("Z0," + Long.toHexString(store) + ",1"));
            assertEquals("T05swbreak:;thread:1;", c.ask("c"));
            assertEquals(store, rip(c));
            assertEquals(List.of(0L), t.pings);
            assertEquals("T05thread:1;", c.ask("vCont;s:1"));
            assertEquals(t.code + RMW, rip(c));
            assertEquals(Rsp.le(7, 8), c.ask("m" + Long.toHexString(t.data + 16) + ",8"), "the store ran");
            assertEquals("T05swbreak:;thread:1;", c.ask("vCont;c"), "the next iteration hits it again");
            assertEquals(List.of(0L, 1L), t.pings);
            assertEquals("OK", c.ask("z0," + Long.toHexString(store) + ",1"));
            c.send("c");
            assertEquals("W03", c.reply());
            assertEquals(RunOutcome.Kind.RETURNED, t.end().kind());
        }
    }

    @Test
    void stepIntoAServiceCallLandsAfterIt() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            assertEquals("OK", c.ask("Z1," + Long.toHexString(t.code + CALL) + ",1"));
            assertEquals("T05hwbreak:;thread:1;", c.ask("c"));
            assertEquals("T05thread:1;", c.ask("s"));
            assertEquals(t.ping.address(), rip(c), "the call went to the stub");
            assertEquals("T05thread:1;", c.ask("s"));
            assertEquals(t.code + STORE, rip(c), "the service ran as one instruction");
            assertEquals(Rsp.le(7, 8), c.ask("p0"), "rax = its result");
            assertEquals(List.of(0L), t.pings);
            assertEquals("OK", c.ask("D"));
            assertEquals(3, t.end().status());
        }
    }

    @Test
    void serviceBreakStopsBeforeTheHandlerWithArguments() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("break-service Ping")));
            assertTrue(c.console.toString().contains("stops before Test.Ping"), c.console.toString());
            assertEquals("T05thread:1;", c.ask("c"));
            assertTrue(c.console.toString().contains("break-service Test.Ping(This=0x0) from outside any image"), c.console.toString());
            assertEquals(t.ping.address(), rip(c));
            assertEquals(List.of(), t.pings, "the handler has not run yet");
            c.console.setLength(0);
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("call")));
            assertTrue(c.console.toString().startsWith("Test.Ping(This=0x0)"), c.console.toString());
            assertEquals("T05thread:1;", c.ask("c"));
            assertEquals(List.of(0L), t.pings);
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("delete-service Ping")));
            c.console.setLength(0);
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("services")));
            assertTrue(c.console.toString().contains("1  Test.Ping"), c.console.toString());
            c.send("c");
            assertEquals("W03", c.reply());
        }
    }

    @Test
    void monitorScreenshotWritesTheFramebufferAsPng(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            java.nio.file.Path png = dir.resolve("screen.png");
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("screenshot " + png)));
            assertTrue(c.console.toString().contains("no framebuffer"), c.console.toString());
            // a 4x2 BGRX screen, 8 pixels a scan line: the pixel at (1,1) is red, the rest blue
            long fb = t.machine.allocatePool(MemoryType.BOOT_SERVICES_DATA, 4 * 8 * 2);
            for (int i = 0; i < 16; i++) t.machine.memory().u32(fb + 4L * i, 0x0000ff);
            t.machine.memory().u32(fb + 4 * (8 + 1), 0xff0000);
            t.machine.display().show(new dev.efiemu.core.display.Framebuffer(fb, 4, 2, 8, dev.efiemu.core.display.Framebuffer.PixelFormat.BGRX));
            c.console.setLength(0);
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("screenshot " + png)));
            assertTrue(c.console.toString().contains("4x2"), c.console.toString());
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
            assertEquals(4, img.getWidth());
            assertEquals(0xff0000, img.getRGB(1, 1) & 0xffffff);
            assertEquals(0x0000ff, img.getRGB(3, 1) & 0xffffff);
            c.send("c");
            assertEquals("W03", c.reply());
        }
    }

    @Test
    void faultStopsWithSigsegvThenTheRunEnds() throws Exception {
        try (Target t = new Target(FAULT, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            assertEquals("T0bthread:1;", c.ask("c"));
            assertTrue(c.console.toString().contains("memory fault"), c.console.toString());
            assertEquals(Rsp.le(0x7000000000L, 8), c.ask("p0"), "the faulting state is there to inspect");
            c.send("c");
            assertEquals("X0b", c.reply());
            RunOutcome o = t.end();
            assertEquals(RunOutcome.Kind.FAULT, o.kind());
            assertNotNull(o.fault(), "the fault report survives the debugger");
        }
    }

    @Test
    void traceOnPrintsServiceCallsWhileRunning() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("trace on")));
            c.console.setLength(0);
            assertEquals("OK", c.ask("qRcmd," + Rsp.hex("where")));
            assertTrue(c.console.toString().startsWith(String.format("0x%x  outside any image", t.code)), c.console.toString());
            c.send("c");
            assertEquals("W03", c.reply());
            assertTrue(c.console.toString().contains("trace: #1 Test.Ping(0x0) = "), c.console.toString());
            assertTrue(c.console.toString().contains("trace: #3 Test.Ping(0x2) = "), c.console.toString());
        }
    }

    @Test
    void writeWatchpointStopsRightAfterTheWrite() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            long counter = t.data + 8;
            assertEquals("OK", c.ask("Z2," + Long.toHexString(counter) + ",8"));
            assertEquals("T05watch:" + Long.toHexString(counter) + ";thread:1;", c.ask("c"));
            assertEquals(t.code + CMP, rip(c), "stopped after the read-modify-write");
            assertEquals(Rsp.le(1, 8), c.ask("m" + Long.toHexString(counter) + ",8"));
            assertEquals("T05watch:" + Long.toHexString(counter) + ";thread:1;", c.ask("c"));
            assertEquals(t.code + CMP, rip(c));
            assertEquals(Rsp.le(2, 8), c.ask("m" + Long.toHexString(counter) + ",8"), "each write ran once");
            // A read watchpoint on the result slot is not hit by its store; an access one is.
            assertEquals("OK", c.ask("z2," + Long.toHexString(counter) + ",8"));
            assertEquals("OK", c.ask("Z4," + Long.toHexString(t.data + 16) + ",8"));
            assertEquals("T05awatch:" + Long.toHexString(t.data + 16) + ";thread:1;", c.ask("c"));
            assertEquals(t.code + RMW, rip(c));
            assertEquals("OK", c.ask("z4," + Long.toHexString(t.data + 16) + ",8"));
            c.send("c");
            assertEquals("W03", c.reply());
            assertEquals(List.of(0L, 1L, 2L), t.pings);
        }
    }

    @Test
    void ctrlCStopsAtTheNextServiceCall() throws Exception {
        try (Target t = new Target(PING_FOREVER, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            t.pingDelayMillis = 2;
            c.send("c");
            Thread.sleep(200);
            c.sendRaw(new byte[] {3});
            assertEquals("T02thread:1;", c.reply());
            // At the next seam: a Ping call, or the return from one (the guest spends its time there).
            assertTrue(c.console.toString().contains("efiemu: interrupted"), c.console.toString());
            long pc = rip(c);
            assertTrue(pc == t.ping.address() || pc == t.code + 14, Long.toHexString(pc));
            int n = t.pings.size();
            assertTrue(n > 0);
            // resumable: run on, interrupt again
            c.send("c");
            Thread.sleep(100);
            c.sendRaw(new byte[] {3});
            assertEquals("T02thread:1;", c.reply());
            assertTrue(t.pings.size() > n);
            c.send("k");
            RunOutcome o = t.end();
            assertEquals("killed by gdb", o.message());
        }
    }

    @Test
    void ctrlCOnAGuestThatCallsNothingStopsAndTheRunEndsOnContinue() throws Exception {
        GdbStub.Options o = GdbStub.Options.defaults().withInterruptGraceMillis(300);
        try (Target t = new Target(SPIN, o); RspClient c = t.connect()) {
            c.send("c");
            Thread.sleep(100);
            c.sendRaw(new byte[] {3});
            assertEquals("T02thread:1;", c.reply());
            assertTrue(c.console.toString().contains("cannot resume"), c.console.toString());
            assertEquals(t.code, rip(c), "stopped in the spin loop");
            c.send("c");
            assertEquals("X09", c.reply());
            RunOutcome out = t.end();
            assertEquals(RunOutcome.Kind.FAULT, out.kind());
            assertTrue(out.message().contains("cannot resume"), out.message());
        }
    }

    @Test
    void malformedAndHugePacketsGetErrorsAndTheSessionGoesOn() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults()); RspClient c = t.connect()) {
            c.sendRaw("$?#00");
            assertEquals('-', c.ack(), "bad checksum");
            c.sendRaw("$?#zz");
            assertEquals('-', c.ack(), "checksum not hex");
            c.takeAcks();
            assertEquals("", c.ask("qNoSuchThing"), "unknown query");
            assertEquals("", c.ask("vNoSuchThing"), "unknown v packet");
            assertEquals("", c.ask("!"), "extended mode");
            assertEquals("", c.ask("Z9,0,1"), "unknown breakpoint type");
            assertEquals("E01", c.ask("mzz,4"), "not a number");
            assertEquals("E01", c.ask("m10"), "no length");
            assertEquals("E01", c.ask("M" + Long.toHexString(t.data) + ",4:00"), "length and data disagree");
            assertEquals("E01", c.ask("M" + Long.toHexString(t.data) + ",ffffffff:00"), "huge write");
            assertEquals("E14", c.ask("m7fff00000000,10"), "unmapped");
            assertEquals("E45", c.ask("p999"), "no such register");
            assertEquals("E22", c.ask("Z2," + Long.toHexString(t.data) + ",0"), "empty watch");
            String big = c.ask("m" + Long.toHexString(t.code) + ",ffffffffffff");
            assertTrue(big.length() > 0 && big.length() <= GdbConnection.MAX_PACKET, "huge read clamped: " + big.length());
            String edge = c.ask("mfffffffffffffff0,100");
            assertTrue(edge.equals("E01") || edge.equals("E14"), edge);
            // A packet beyond PacketSize: refused, and framing recovers.
            c.takeAcks();
            c.sendRaw("$m" + "0".repeat(3 * GdbConnection.MAX_PACKET) + "#00");
            assertEquals('-', c.ack());
            // A packet without an end, then a new one: the '$' restarts it.
            c.sendRaw("$qAttac");
            assertEquals("1", c.ask("qAttached"));
            // Stray bytes between packets are ignored.
            c.sendRaw("garbage+++");
            assertEquals("T05thread:1;", c.ask("?"));
            assertEquals("OK", c.ask("QStartNoAckMode"));
            c.takeAcks();
            assertEquals("T05thread:1;", c.ask("?"));
            assertEquals("OK", c.ask("D"));
            assertEquals(3, t.end().status());
        }
    }

    @Test
    void disconnectWhileRunningEndsTheRunAndReleasesThePort() throws Exception {
        Target t = new Target(SPIN, GdbStub.Options.defaults());
        int port = t.stub.address().getPort();
        try (t) {
            RspClient c = t.connect();
            c.send("c");
            Thread.sleep(100);
            c.close();
            RunOutcome o = t.end();
            assertEquals(RunOutcome.Kind.FAULT, o.kind());
            assertTrue(o.message().contains("gdb disconnected"), o.message());
        }
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    @Test
    void disconnectWhileStoppedEndsTheRun() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults())) {
            RspClient c = t.connect();
            assertEquals("T05thread:1;", c.ask("?"));
            c.close();
            RunOutcome o = t.end();
            assertTrue(o.message().contains("gdb disconnected"), o.message());
            assertEquals(List.of(), t.pings);
        }
    }

    @Test
    void withDetachContinueADisconnectLetsTheRunFinish() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults().withDetachContinue(true))) {
            t.pingDelayMillis = 100;
            RspClient c = t.connect();
            assertEquals("OK", c.ask("Z0," + Long.toHexString(t.code + STORE) + ",1"));
            c.send("c");
            Thread.sleep(50); // inside the first Ping
            c.close();
            RunOutcome o = t.end();
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), o.message());
            assertEquals(3, o.status());
        }
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults().withDetachContinue(true))) {
            RspClient c = t.connect();
            assertEquals("T05thread:1;", c.ask("?"));
            c.close();
            assertEquals(3, t.end().status());
        }
    }

    /** A connection that closes without a packet (a port probe) is not the debugger: the next client is, as with QEMU's gdbstub. */
    @Test
    void aPortProbeIsNotTheClient() throws Exception {
        try (Target t = new Target(LOOP3, GdbStub.Options.defaults())) {
            for (int i = 0; i < 2; i++) {
                try (java.net.Socket probe = new java.net.Socket()) {
                    probe.connect(t.stub.address(), TIMEOUT);
                }
            }
            try (RspClient c = t.connect()) {
                assertEquals("T05thread:1;", c.ask("?"));
                assertEquals("OK", c.ask("D"));
            }
            RunOutcome o = t.end();
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), o.message());
            assertEquals(3, o.status());
        }
    }

    @Test
    void noClientWithinTheWaitEndsTheRun() throws Exception {
        Machine m = new Machine(MachineConfig.defaults().withMemory(256L << 20));
        try (m) {
            long code = m.allocatePool(MemoryType.LOADER_CODE, 4096);
            m.memory().write(code, SPIN);
            GdbStub stub = GdbStub.attach(m, "127.0.0.1", 0, GdbStub.Options.defaults().withAcceptMillis(300));
            RunOutcome o = m.run(() -> m.callGuest(code));
            stub.finish(o);
            assertNotNull(o.message());
            assertTrue(o.message().contains("no gdb connected"), o.message());
        }
    }
}
