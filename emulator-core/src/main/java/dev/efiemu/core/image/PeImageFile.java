package dev.efiemu.core.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link ImageFile} for PE32+ images. Interim: a minimal mapper (headers, sections, DIR64
 * relocations) until the loader module's PeImage lands; then this delegates to it.
 */
public final class PeImageFile implements ImageFile {
    private final byte[] file;
    private final ByteBuffer b;
    private final int pe;
    private final int opt;
    private final int machine;
    private final int subsystem;
    private final long sizeOfImage;
    private final long entry;
    private final long alignment;
    private final long imageBase;

    private PeImageFile(byte[] file) {
        this.file = file;
        this.b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 0x40 || b.getShort(0) != 0x5a4d) throw new IllegalArgumentException("not a PE image (no MZ header)");
        pe = b.getInt(0x3c);
        if (pe < 0 || pe + 24 > file.length || b.getInt(pe) != 0x4550) throw new IllegalArgumentException("not a PE image (no PE signature)");
        machine = b.getShort(pe + 4) & 0xffff;
        opt = pe + 24;
        if ((b.getShort(opt) & 0xffff) != 0x20b) throw new IllegalArgumentException("not PE32+");
        entry = b.getInt(opt + 16) & 0xffffffffL;
        imageBase = b.getLong(opt + 24);
        alignment = b.getInt(opt + 32) & 0xffffffffL;
        sizeOfImage = b.getInt(opt + 56) & 0xffffffffL;
        subsystem = b.getShort(opt + 68) & 0xffff;
    }

    public static ImageFile parse(byte[] file) {
        return new PeImageFile(file);
    }

    @Override public int machine() { return machine; }
    @Override public int subsystem() { return subsystem; }
    @Override public long sizeOfImage() { return sizeOfImage; }
    @Override public long entryPointRva() { return entry; }
    @Override public long sectionAlignment() { return alignment; }

    @Override
    public byte[] mapAt(long base) {
        byte[] img = new byte[(int) sizeOfImage];
        int headers = b.getInt(opt + 60);
        System.arraycopy(file, 0, img, 0, Math.min(headers, file.length));
        int nsec = b.getShort(pe + 6) & 0xffff;
        int optSize = b.getShort(pe + 20) & 0xffff;
        int sec = opt + optSize;
        for (int i = 0; i < nsec; i++) {
            int s = sec + 40 * i;
            long va = b.getInt(s + 12) & 0xffffffffL, vsize = b.getInt(s + 8) & 0xffffffffL;
            long raw = b.getInt(s + 16) & 0xffffffffL, rawOff = b.getInt(s + 20) & 0xffffffffL;
            long n = Math.min(raw, vsize == 0 ? raw : vsize);
            n = Math.min(n, Math.max(0, file.length - rawOff));
            n = Math.min(n, sizeOfImage - va);
            if (n > 0) System.arraycopy(file, (int) rawOff, img, (int) va, (int) n);
        }
        long delta = base - imageBase;
        int numDirs = b.getInt(opt + 108);
        if (delta != 0 && numDirs > 5) {
            long rva = b.getInt(opt + 112 + 5 * 8) & 0xffffffffL, size = b.getInt(opt + 112 + 5 * 8 + 4) & 0xffffffffL;
            ByteBuffer ib = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
            long at = rva;
            while (at + 8 <= rva + size) {
                long page = ib.getInt((int) at) & 0xffffffffL;
                long block = ib.getInt((int) at + 4) & 0xffffffffL;
                if (block < 8) break;
                for (long e = at + 8; e + 2 <= at + block; e += 2) {
                    int v = ib.getShort((int) e) & 0xffff;
                    int type = v >>> 12;
                    int off = (int) (page + (v & 0xfff));
                    if (type == 10) ib.putLong(off, ib.getLong(off) + delta);
                    else if (type == 3) ib.putInt(off, (int) (ib.getInt(off) + delta));
                    else if (type != 0) throw new IllegalArgumentException("relocation type " + type);
                }
                at += block;
            }
        }
        return img;
    }
}
