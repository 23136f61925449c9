package dev.efiemu.engine.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.efiemu.cpu.CpuException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Guest-physical memory as KVM memory slots: every {@code map} is anonymous host memory (mmap,
 * MAP_NORESERVE: pages exist once touched) registered with KVM_SET_USER_MEMORY_REGION, so the
 * guest uses only what the firmware maps (docs/kvm.md, "Memory"). An access to a guest-physical
 * address without a slot leaves KVM_RUN as KVM_EXIT_MMIO, which the engine reports as a memory fault.
 *
 * <p>Code-hook ranges are <em>shadowed</em>: the guest sees HLT (0xF4) in every byte, so entering any
 * instruction there exits to the engine, while the host side ({@link #read}, {@link #write}, the
 * hand-off capture) sees the real bytes, kept here.
 */
final class GuestRam implements AutoCloseable {
    static final byte HLT = (byte) 0xf4;

    /** One slot: [gpa, gpa + size) backed by host memory at {@code host}. */
    record Region(long gpa, long size, Pointer host, int slot) {
        long end() {
            return gpa + size;
        }
    }

    /** A shadowed range [begin, end] and its real bytes. */
    static final class Shadow {
        final long begin, end;
        final byte[] real;

        Shadow(long begin, long end, byte[] real) {
            this.begin = begin;
            this.end = end;
            this.real = real;
        }
    }

    private final int vmFd;
    private final TreeMap<Long, Region> regions = new TreeMap<>();
    private final BitSet slots = new BitSet();
    private final List<Shadow> shadows = new ArrayList<>();
    private final Memory region = new Memory(32);

    GuestRam(int vmFd) {
        this.vmFd = vmFd;
    }

    /** Maps {@code size} bytes of zeroed memory at {@code gpa} (page multiples). */
    Region map(long gpa, long size) {
        return map(gpa, size, true);
    }

    /**
     * Maps {@code size} bytes of zeroed memory at {@code gpa}; without {@code slot} the memory is the
     * host's only (above what the guest can address: the engine does not give it to KVM).
     */
    Region map(long gpa, long size, boolean slot) {
        if ((gpa & 0xfff) != 0 || size <= 0 || (size & 0xfff) != 0) {
            throw new CpuException(String.format("kvm: map 0x%x+0x%x: not whole 4 KiB pages", gpa, size));
        }
        Map.Entry<Long, Region> below = regions.lowerEntry(gpa + size);
        if (below != null && below.getValue().end() > gpa) {
            throw new CpuException(String.format("kvm: map 0x%x+0x%x: overlaps mapped memory at 0x%x", gpa, size, below.getKey()));
        }
        Pointer host;
        try {
            host = Kvm.LibC.INSTANCE.mmap(null, new NativeLong(size), Kvm.PROT_READ | Kvm.PROT_WRITE,
                    Kvm.MAP_PRIVATE | Kvm.MAP_ANONYMOUS | Kvm.MAP_NORESERVE, -1, new NativeLong(0));
        } catch (LastErrorException e) {
            throw new KvmException(String.format("mmap of 0x%x bytes for guest memory at 0x%x", size, gpa), e.getErrorCode());
        }
        int n = -1;
        if (slot) {
            n = slots.nextClearBit(0);
            setSlot(n, gpa, size, Pointer.nativeValue(host));
            slots.set(n);
        }
        Region r = new Region(gpa, size, host, n);
        regions.put(gpa, r);
        return r;
    }

    /** Unmaps whole mapped regions inside [gpa, gpa + size). */
    void unmap(long gpa, long size) {
        List<Region> gone = new ArrayList<>(regions.subMap(gpa, gpa + size).values());
        Region first = regions.floorEntry(gpa) == null ? null : regions.floorEntry(gpa).getValue();
        if (gone.isEmpty() || (first != null && first.gpa() < gpa && first.end() > gpa)
                || gone.get(gone.size() - 1).end() > gpa + size) {
            throw new CpuException(String.format("kvm: unmap 0x%x+0x%x: not a range of whole mapped regions", gpa, size));
        }
        for (Region r : gone) {
            if (r.slot() >= 0) {
                setSlot(r.slot(), r.gpa(), 0, 0);
                slots.clear(r.slot());
            }
            regions.remove(r.gpa());
            try {
                Kvm.LibC.INSTANCE.munmap(r.host(), new NativeLong(r.size()));
            } catch (LastErrorException e) {
                throw new KvmException("munmap of guest memory", e.getErrorCode());
            }
        }
    }

    private void setSlot(int slot, long gpa, long size, long host) {
        region.setInt(0, slot);
        region.setInt(4, 0);
        region.setLong(8, gpa);
        region.setLong(16, size);
        region.setLong(24, host);
        Kvm.ioctl(vmFd, Kvm.SET_USER_MEMORY_REGION, region,
                String.format("KVM_SET_USER_MEMORY_REGION (slot %d, 0x%x+0x%x)", slot, gpa, size));
    }

    /** The region holding {@code gpa}, or null. */
    Region at(long gpa) {
        Map.Entry<Long, Region> e = regions.floorEntry(gpa);
        return e != null && e.getValue().end() > gpa ? e.getValue() : null;
    }

    boolean mapped(long gpa) {
        return at(gpa) != null;
    }

    /** Copies guest memory as the host sees it (shadowed ranges give their real bytes). */
    void read(long gpa, byte[] dst, int offset, int length) {
        raw(gpa, dst, offset, length, false, "read");
        for (Shadow s : shadows) {
            long b = Math.max(s.begin, gpa), e = Math.min(s.end + 1, gpa + length);
            if (b < e) System.arraycopy(s.real, (int) (b - s.begin), dst, offset + (int) (b - gpa), (int) (e - b));
        }
    }

    /** Writes guest memory; inside shadowed ranges the real bytes change and the guest keeps seeing HLT. */
    void write(long gpa, byte[] src, int offset, int length) {
        raw(gpa, src, offset, length, true, "write");
        for (Shadow s : shadows) {
            long b = Math.max(s.begin, gpa), e = Math.min(s.end + 1, gpa + length);
            if (b < e) {
                System.arraycopy(src, offset + (int) (b - gpa), s.real, (int) (b - s.begin), (int) (e - b));
                fillHlt(b, e);
            }
        }
    }

    private void raw(long gpa, byte[] buf, int offset, int length, boolean write, String what) {
        long a = gpa;
        int done = 0;
        while (done < length) {
            Region r = at(a);
            if (r == null) {
                throw new CpuException(String.format("kvm: %s 0x%x+0x%x: 0x%x is not mapped", what, gpa, length, a));
            }
            int n = (int) Math.min(length - done, r.end() - a);
            if (write) r.host().write(a - r.gpa(), buf, offset + done, n);
            else r.host().read(a - r.gpa(), buf, offset + done, n);
            done += n;
            a += n;
        }
    }

    private void fillHlt(long begin, long end) {
        byte[] h = new byte[(int) (end - begin)];
        Arrays.fill(h, HLT);
        raw(begin, h, 0, h.length, true, "shadow");
    }

    /** Shadows the mapped range [begin, end]: the guest executes HLT there from now on. */
    Shadow shadow(long begin, long end) {
        if (end < begin || end - begin >= (1 << 20)) {
            throw new UnsupportedOperationException(String.format(
                    "kvm: a code hook over 0x%x..0x%x: the KVM engine hooks code ranges below 1 MiB only (no single-stepping)", begin, end));
        }
        byte[] real = new byte[(int) (end - begin + 1)];
        read(begin, real, 0, real.length);
        Shadow s = new Shadow(begin, end, real);
        shadows.add(s);
        fillHlt(begin, end + 1);
        return s;
    }

    /** Gives the guest the real bytes of {@code s} back (where no other shadow still covers them). */
    void unshadow(Shadow s) {
        if (!shadows.remove(s)) return;
        if (at(s.begin) == null) return; // unmapped meanwhile
        raw(s.begin, s.real, 0, s.real.length, true, "unshadow");
        for (Shadow o : shadows) {
            long b = Math.max(s.begin, o.begin), e = Math.min(s.end, o.end) + 1;
            if (b < e) fillHlt(b, e);
        }
    }

    /** Whether the guest sees HLT at {@code gpa} because of a shadow (not its own code). */
    boolean shadowed(long gpa) {
        for (Shadow s : shadows) if (gpa >= s.begin && gpa <= s.end) return true;
        return false;
    }

    /** Bytes mapped (for the probe and tests). */
    long bytes() {
        return regions.values().stream().mapToLong(Region::size).sum();
    }

    @Override
    public void close() {
        for (Region r : regions.values()) {
            try {
                Kvm.LibC.INSTANCE.munmap(r.host(), new NativeLong(r.size()));
            } catch (LastErrorException e) {
                // the VM is going away with it
            }
        }
        regions.clear();
        shadows.clear();
    }
}
