package dev.efiemu.debugger.gdb;

import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.X86Reg;
import java.util.ArrayList;
import java.util.List;

/**
 * The x86_64 register file as gdb sees it: the target description (gdb's own 64bit-core.xml,
 * 64bit-sse.xml and 64bit-segments.xml layout, plus control registers) and the {@code g} packet
 * order, which is the description's register order. x87 and XMM registers are described, because
 * gdb's amd64 support requires them, but reported unavailable: the Cpu API does not expose them.
 */
final class X86Target {
    /** One register: gdb number, name, size in bytes, and where its value comes from. */
    record Register(int number, String name, int bytes, X86Reg reg, int msr) {
        boolean available() {
            return reg != null || msr != 0;
        }
    }

    static final int EFER = 0xC0000080;
    static final List<Register> REGISTERS;
    static final String TARGET_XML;

    static {
        List<Register> r = new ArrayList<>();
        X86Reg[] gprs = {X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI, X86Reg.RBP, X86Reg.RSP,
            X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15};
        for (X86Reg g : gprs) r.add(new Register(r.size(), g.name().toLowerCase(), 8, g, 0));
        r.add(new Register(r.size(), "rip", 8, X86Reg.RIP, 0));
        r.add(new Register(r.size(), "eflags", 4, X86Reg.RFLAGS, 0));
        for (X86Reg s : new X86Reg[] {X86Reg.CS, X86Reg.SS, X86Reg.DS, X86Reg.ES, X86Reg.FS, X86Reg.GS}) {
            r.add(new Register(r.size(), s.name().toLowerCase(), 4, s, 0));
        }
        for (int i = 0; i < 8; i++) r.add(new Register(r.size(), "st" + i, 10, null, 0));
        for (String f : new String[] {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"}) {
            r.add(new Register(r.size(), f, 4, null, 0));
        }
        for (int i = 0; i < 16; i++) r.add(new Register(r.size(), "xmm" + i, 16, null, 0));
        r.add(new Register(r.size(), "mxcsr", 4, X86Reg.MXCSR, 0));
        r.add(new Register(r.size(), "fs_base", 8, X86Reg.FS_BASE, 0));
        r.add(new Register(r.size(), "gs_base", 8, X86Reg.GS_BASE, 0));
        for (X86Reg c : new X86Reg[] {X86Reg.CR0, X86Reg.CR2, X86Reg.CR3, X86Reg.CR4, X86Reg.CR8}) {
            r.add(new Register(r.size(), c.name().toLowerCase(), 8, c, 0));
        }
        r.add(new Register(r.size(), "efer", 8, null, EFER));
        REGISTERS = List.copyOf(r);
        TARGET_XML = xml();
    }

    private X86Target() {}

    private static String xml() {
        StringBuilder x = new StringBuilder();
        x.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        x.append("<architecture>i386:x86-64</architecture>\n");
        x.append("<feature name=\"org.gnu.gdb.i386.core\">\n");
        x.append("<flags id=\"i386_eflags\" size=\"4\">\n");
        String[][] flags = {{"CF", "0"}, {"", "1"}, {"PF", "2"}, {"AF", "4"}, {"ZF", "6"}, {"SF", "7"}, {"TF", "8"}, {"IF", "9"},
            {"DF", "10"}, {"OF", "11"}, {"NT", "14"}, {"RF", "16"}, {"VM", "17"}, {"AC", "18"}, {"VIF", "19"}, {"VIP", "20"},
            {"ID", "21"}};
        for (String[] f : flags) x.append(String.format("<field name=\"%s\" start=\"%s\" end=\"%s\"/>\n", f[0], f[1], f[1]));
        x.append("</flags>\n");
        for (Register r : REGISTERS) {
            if (r.number() == 40) {
                x.append("</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n");
                x.append("<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n");
                x.append("<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n");
                x.append("<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n");
                x.append("<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
                        + "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
                        + "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
                        + "<field name=\"uint128\" type=\"uint128\"/></union>\n");
                x.append("<flags id=\"i386_mxcsr\" size=\"4\">");
                String[] mx = {"IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM", "DM", "ZM", "OM", "UM", "PM", "FZ"};
                for (int i = 0; i < mx.length; i++) x.append(String.format("<field name=\"%s\" start=\"%d\" end=\"%d\"/>", mx[i], i, i));
                x.append("</flags>\n");
            } else if (r.number() == 57) {
                x.append("</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n");
            } else if (r.number() == 59) {
                x.append("</feature>\n<feature name=\"org.efiemu.x86.system\">\n");
            }
            x.append(String.format("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"%s/>\n",
                    r.name(), r.bytes() * 8, type(r), r.number(), group(r)));
        }
        x.append("</feature>\n</target>\n");
        return x.toString();
    }

    private static String type(Register r) {
        int n = r.number();
        if (n == 6 || n == 7) return "data_ptr";
        if (n == 16) return "code_ptr";
        if (n == 17) return "i386_eflags";
        if (n < 16) return "int64";
        if (n < 24) return "int32";
        if (n < 32) return "i387_ext";
        if (n < 40) return "int";
        if (n < 56) return "vec128";
        if (n == 56) return "i386_mxcsr";
        return "int";
    }

    private static String group(Register r) {
        int n = r.number();
        if (n >= 32 && n < 40) return " group=\"float\"";
        if (n == 56) return " group=\"vector\"";
        if (n >= 59) return " group=\"system\"";
        return "";
    }

    static Register byNumber(int n) {
        return n >= 0 && n < REGISTERS.size() ? REGISTERS.get(n) : null;
    }

    static long read(Cpu cpu, Register r) {
        long v = r.msr() != 0 ? cpu.msr(r.msr()) : cpu.reg(r.reg());
        return r.bytes() < 8 ? v & ((1L << (8 * r.bytes())) - 1) : v;
    }

    static void write(Cpu cpu, Register r, long v) {
        if (!r.available()) return;
        if (r.msr() != 0) {
            cpu.msr(r.msr(), v);
        } else if (r.reg() == X86Reg.RFLAGS) {
            cpu.reg(r.reg(), (cpu.reg(r.reg()) & ~0xffffffffL) | (v & 0xffffffffL));
        } else {
            cpu.reg(r.reg(), v);
        }
    }

    /** One register as the protocol writes it: little-endian hex, or 'x's when unavailable. */
    static String hex(Cpu cpu, Register r) {
        if (!r.available()) return "xx".repeat(r.bytes());
        try {
            return Rsp.le(read(cpu, r), r.bytes());
        } catch (RuntimeException e) {
            return "xx".repeat(r.bytes());
        }
    }

    /** The {@code g} reply. */
    static String all(Cpu cpu) {
        StringBuilder s = new StringBuilder();
        for (Register r : REGISTERS) s.append(hex(cpu, r));
        return s.toString();
    }

    /** Applies a {@code G} packet's data; registers marked 'x' or unavailable are left alone. */
    static void writeAll(Cpu cpu, String data) {
        int at = 0;
        for (Register r : REGISTERS) {
            int n = 2 * r.bytes();
            if (at + n > data.length()) break;
            String v = data.substring(at, at + n);
            at += n;
            if (v.indexOf('x') >= 0 || !r.available()) continue;
            write(cpu, r, Rsp.le(v));
        }
    }
}
