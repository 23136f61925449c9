package dev.efiemu.core.boot;

import dev.efiemu.core.efi.Status;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.AllocationException;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.trap.Call;

/** Memory allocation services (UEFI spec §7.2): AllocatePages, FreePages, GetMemoryMap, AllocatePool, FreePool, CopyMem, SetMem. */
public final class MemoryServices {
    private final Machine m;
    private final GuestMemory mem;

    public MemoryServices(Machine m) {
        this.m = m;
        this.mem = m.memory();
    }

    public void register(ServiceRegistry<BootService> r) {
        r.add(BootService.ALLOCATE_PAGES, this::allocatePages);
        r.add(BootService.FREE_PAGES, this::freePages);
        r.add(BootService.GET_MEMORY_MAP, this::getMemoryMap);
        r.add(BootService.ALLOCATE_POOL, this::allocatePool);
        r.add(BootService.FREE_POOL, this::freePool);
        r.add(BootService.COPY_MEM, this::copyMem);
        r.add(BootService.SET_MEM, this::setMem);
    }

    /**
     * An EFI_ALLOCATE_TYPE or EFI_MEMORY_TYPE argument: a 32-bit enum, whose register's upper half
     * is undefined in the x64 calling convention (a caller may leave anything there).
     */
    static long enumArg(Call c, int i) {
        return c.arg(i) & 0xffffffffL;
    }

    long allocatePages(Call c) {
        long type = enumArg(c, 0), memType = enumArg(c, 1), pages = c.arg(2), ptr = c.arg(3);
        if (type > 2 || ptr == 0 || !MemoryType.allocatable(memType)) return Status.INVALID_PARAMETER;
        MemoryMap.AllocateType how = MemoryMap.AllocateType.values()[(int) type];
        long address = how == MemoryMap.AllocateType.ANY_PAGES ? 0 : mem.u64(ptr);
        try {
            long base = m.memoryMap().allocate(how, (int) memType, pages, address);
            mem.u64(ptr, base);
            c.note(String.format("%s %d pages %s -> 0x%x", how, pages, typeName(memType), base));
            return Status.SUCCESS;
        } catch (AllocationException e) {
            c.note(String.format("%s %d pages at/below 0x%x", how, pages, address));
            return e.status();
        }
    }

    long freePages(Call c) {
        try {
            m.memoryMap().free(c.arg(0), c.arg(1));
            return Status.SUCCESS;
        } catch (AllocationException e) {
            return e.status();
        }
    }

    /** §7.2 GetMemoryMap: BUFFER_TOO_SMALL with the needed size when the buffer is short. */
    long getMemoryMap(Call c) {
        long sizePtr = c.arg(0), buffer = c.arg(1), keyPtr = c.arg(2), descSizePtr = c.arg(3), versionPtr = c.arg(4);
        if (sizePtr == 0) return Status.INVALID_PARAMETER;
        byte[] encoded = m.memoryMap().encode();
        long have = mem.u64(sizePtr);
        mem.u64(sizePtr, encoded.length);
        if (descSizePtr != 0) mem.u64(descSizePtr, MemoryMap.DESCRIPTOR_SIZE);
        if (versionPtr != 0) mem.u32(versionPtr, MemoryMap.DESCRIPTOR_VERSION);
        c.note("need " + encoded.length + " have " + have);
        if (have < encoded.length) return Status.BUFFER_TOO_SMALL;
        if (buffer == 0 || keyPtr == 0) return Status.INVALID_PARAMETER;
        mem.write(buffer, encoded);
        mem.u64(keyPtr, m.memoryMap().mapKey());
        c.note("key " + m.memoryMap().mapKey());
        return Status.SUCCESS;
    }

    long allocatePool(Call c) {
        long type = enumArg(c, 0), size = c.arg(1), ptr = c.arg(2);
        if (ptr == 0 || !MemoryType.allocatable(type)) return Status.INVALID_PARAMETER;
        try {
            long a = m.pool().allocate((int) type, size);
            mem.u64(ptr, a);
            c.note(String.format("%d bytes %s -> 0x%x", size, typeName(type), a));
            return Status.SUCCESS;
        } catch (AllocationException e) {
            return e.status();
        }
    }

    long freePool(Call c) {
        // edk2 answers NULL and unknown buffers with EFI_INVALID_PARAMETER; the Linux stub ignores it.
        return c.arg(0) != 0 && m.pool().free(c.arg(0)) ? Status.SUCCESS : Status.INVALID_PARAMETER;
    }

    /** CopyMem (void): memmove semantics. A range the guest does not have ends the run with a fault report, as on hardware. */
    long copyMem(Call c) {
        long dst = c.arg(0), src = c.arg(1), len = c.arg(2);
        if (len < 0 || src + len < src || dst + len < dst) {
            throw new dev.efiemu.core.memory.GuestMemory.BadGuestPointer(String.format("CopyMem of 0x%x bytes from 0x%x to 0x%x", len, src, dst));
        }
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(1 << 20, len - done);
            // Overlapping ranges must behave like memmove: copy through a host buffer chunk by chunk,
            // walking backwards when the destination is above the source.
            long off = dst > src && dst < src + len ? len - done - n : done;
            mem.write(dst + off, mem.read(src + off, n));
            done += n;
        }
        return 0;
    }

    long setMem(Call c) {
        mem.fill(c.arg(0), c.arg(1), (int) c.arg(2));
        return 0;
    }

    static String typeName(long t) {
        MemoryType mt = MemoryType.of(t);
        return mt != null ? mt.shortName() : String.format("type 0x%x", t);
    }
}
