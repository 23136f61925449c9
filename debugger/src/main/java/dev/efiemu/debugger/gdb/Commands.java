package dev.efiemu.debugger.gdb;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.X86Reg;

/**
 * The packet dispatcher: answers one gdb packet while the target is stopped (the reply goes out on
 * the connection) and says whether and how the target resumes. Registers are {@link X86Target}'s,
 * memory {@link MemoryPackets}', breakpoints {@link Breakpoints}', monitor commands {@link Monitor}'s.
 * Throws on malformed arguments; the caller answers those with E01.
 */
final class Commands {
    /** What the target does after a packet. */
    enum Resume { NONE, CONTINUE, STEP, DETACH, KILL }

    private final GdbConnection conn;
    private final Cpu cpu;
    private final StopState stops;
    private final Breakpoints breakpoints;
    private final Monitor monitor;

    Commands(GdbConnection conn, Cpu cpu, StopState stops, Breakpoints breakpoints, Monitor monitor) {
        this.conn = conn;
        this.cpu = cpu;
        this.stops = stops;
        this.breakpoints = breakpoints;
        this.monitor = monitor;
    }

    Resume handle(String p) {
        char c = p.isEmpty() ? 0 : p.charAt(0);
        switch (c) {
            case '?':
                conn.send(stops.last().packet());
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
                conn.send(MemoryPackets.read(cpu, p.substring(1)));
                return Resume.NONE;
            case 'M':
                conn.send(MemoryPackets.write(cpu, p.substring(1), false));
                return Resume.NONE;
            case 'X':
                conn.send(MemoryPackets.write(cpu, p.substring(1), true));
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
                return Resume.DETACH;
            case 'k':
                return Resume.KILL;
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
            return Resume.KILL;
        }
        conn.send(""); // vMustReplyEmpty, vFile, vAttach, vRun...: not supported
        return Resume.NONE;
    }

    /** The reply to a q/Q packet, or null when it has been sent already. */
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

    /** {@code annex:offset,length} of qXfer:features:read: a chunk of the target description. */
    private static String features(String args) {
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

    /** Z/z type,addr,kind: insert or remove a breakpoint (0, 1) or watchpoint (2 write, 3 read, 4 access). */
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
                    breakpoints.insert(addr, type == 0);
                } else {
                    breakpoints.remove(addr);
                }
                return "OK";
            }
            case 2, 3, 4 -> {
                if (!Breakpoints.validWatch(addr, kind)) return "E22";
                Breakpoints.Watch w = type == 2 ? Breakpoints.Watch.WRITE : type == 3 ? Breakpoints.Watch.READ : Breakpoints.Watch.ACCESS;
                if (insert) {
                    breakpoints.insert(w, addr, kind);
                } else {
                    breakpoints.remove(w, addr, kind);
                }
                return "OK";
            }
            default -> {
                return "";
            }
        }
    }
}
