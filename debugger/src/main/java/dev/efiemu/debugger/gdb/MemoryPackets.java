package dev.efiemu.debugger.gdb;

import dev.efiemu.cpu.Cpu;
import java.nio.charset.StandardCharsets;

/** The m, M and X packets against guest memory: arguments in, reply out. */
final class MemoryPackets {
    private MemoryPackets() {}

    /** {@code m addr,length}: hex bytes, as many as are readable up to the first unreadable page, or an error. */
    static String read(Cpu cpu, String args) {
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

    /** {@code M addr,length:hex} or ({@code binary}) {@code X addr,length:escaped bytes}. */
    static String write(Cpu cpu, String args, boolean binary) {
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
}
