package dev.efiemu.core.handoff;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import dev.efiemu.cpu.Arch;

/**
 * Writes a hand-off as an ELF64 that QEMU boots with {@code -kernel}: one PT_LOAD per segment at
 * its physical address. x86_64: a PVH guest, found by a PT_NOTE "Xen" XEN_ELFNOTE_PHYS32_ENTRY (18)
 * whose 8-byte descriptor is the 32-bit entry (Xen's public/elfnote.h). AArch64: EM_AARCH64 entered
 * at e_entry, which QEMU's virt machine does for an ELF at EL1 (EL2 with virtualization=on) with
 * the MMU off (docs/handoff.md).
 */
public final class HandoffElf {
    static final int EHDR = 64, PHDR = 56, XEN_ELFNOTE_PHYS32_ENTRY = 18;
    static final int PT_LOAD = 1, PT_NOTE = 4, PF_RWX = 7;
    static final short EM_X86_64 = 62, EM_AARCH64 = 183;

    private HandoffElf() {}

    public static void write(Handoff h, OutputStream out) throws IOException {
        boolean x86 = h.arch() == Arch.X86_64;
        byte[] note = x86 ? note(h.entry32()) : new byte[0];
        int nph = (x86 ? 1 : 0) + h.segments().size();
        long dataStart = align(EHDR + (long) PHDR * nph + note.length, 4096);
        ByteBuffer hdr = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
        hdr.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        hdr.position(16);
        hdr.putShort((short) 2).putShort(x86 ? EM_X86_64 : EM_AARCH64).putInt(1); // ET_EXEC, EV_CURRENT
        hdr.putLong(x86 ? h.entry32() : h.entry64()).putLong(EHDR).putLong(0).putInt(0);
        hdr.putShort((short) EHDR).putShort((short) PHDR).putShort((short) nph).putShort((short) 64).putShort((short) 0).putShort((short) 0);
        long noteOff = EHDR + (long) PHDR * nph;
        if (x86) phdr(hdr, PT_NOTE, 4, noteOff, 0, note.length, note.length, 4);
        long off = dataStart;
        for (Handoff.Segment s : h.segments()) {
            phdr(hdr, PT_LOAD, PF_RWX, off, s.address(), s.bytes().length, s.size(), 4096);
            off = align(off + s.bytes().length, 4096);
        }
        hdr.position((int) noteOff);
        hdr.put(note);
        out.write(hdr.array());
        long written = dataStart;
        for (Handoff.Segment s : h.segments()) {
            out.write(s.bytes());
            written += s.bytes().length;
            long pad = align(written, 4096) - written;
            out.write(new byte[(int) pad]);
            written += pad;
        }
    }

    private static void phdr(ByteBuffer b, int type, int flags, long off, long addr, long filesz, long memsz, long align) {
        b.putInt(type).putInt(flags).putLong(off).putLong(addr).putLong(addr).putLong(filesz).putLong(memsz).putLong(align);
    }

    static byte[] note(long entry) {
        ByteBuffer n = ByteBuffer.allocate(12 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        n.putInt(4).putInt(8).putInt(XEN_ELFNOTE_PHYS32_ENTRY);
        n.put("Xen\0".getBytes(StandardCharsets.US_ASCII));
        n.putLong(entry);
        return n.array();
    }

    static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
