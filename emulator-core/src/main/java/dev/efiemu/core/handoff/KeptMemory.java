package dev.efiemu.core.handoff;

import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What of the boot-services-era memory an x86 Linux kernel can still see or use after
 * ExitBootServices, so that only that goes into the hand-off. Loader and boot-services memory is
 * free RAM to the next kernel (Documentation/arch/x86/boot.rst, "the kernel may reuse it"), except
 * what it is pointed at; a boot loader's heap (GRUB's: hundreds of MiB) is not.
 *
 * <p>The rule: memory of every other type (runtime code and data, ACPI, reserved) is kept whole.
 * Of LoaderCode/LoaderData/BootServicesCode/BootServicesData, only the allocations (as the payload
 * made them, {@link MemoryMap#allocations}) that hold:
 * <ul>
 *   <li>the Linux stub's {@code struct boot_params}, found among the registers and the words of the
 *       stack at ExitBootServices: a page with "HdrS" at 0x202 and the EFI loader signature "EL64"
 *       that the stub's exit_boot_func wrote at 0x1c0 just before calling ExitBootServices
 *       (drivers/firmware/efi/libstub/x86-stub.c);</li>
 *   <li>what boot_params points at: the command line (0x228 / 0x0c8), the initrd (0x218, 0x21c /
 *       0x0c0, 0x0c4), the setup_data chain (0x250), the EFI memory map (0x1d0 / 0x1dc, size 0x1d4),
 *       the kernel image (code32_start, 0x214), the EFI system table (0x1c4 / 0x1d8) and through
 *       it the firmware vendor string, the runtime services and every configuration table;</li>
 *   <li>the stack (the allocation holding RSP), the code the trampoline returns to ([RSP]) and the
 *       allocations the callee-saved registers point into (the stub's own locals).</li>
 * </ul>
 * Without a boot_params (not a Linux x86 stub), nothing is left out. Addresses in the boot_params
 * are the kernel's boot protocol (Documentation/arch/x86/zero-page.rst).
 */
public final class KeptMemory {
    static final long HDRS = 0x53726448L, EL64 = 0x34364c45L;
    static final int MAX_STACK_WORDS = 16384, MAX_SETUP_DATA = 256;

    /** A kept range and why. */
    public record Range(long start, long end, String why) {}

    private final GuestMemory mem;
    private final HandoffState state;
    private final List<Range> kept = new ArrayList<>();

    private KeptMemory(GuestMemory mem, HandoffState state) {
        this.mem = mem;
        this.state = state;
    }

    /** True for the memory types the next kernel treats as free RAM. */
    static boolean reclaimable(int type) {
        return type == MemoryType.LOADER_CODE.code() || type == MemoryType.LOADER_DATA.code()
                || type == MemoryType.BOOT_SERVICES_CODE.code() || type == MemoryType.BOOT_SERVICES_DATA.code();
    }

    /**
     * The reclaimable memory to keep, or null when the rule does not apply (no boot_params found:
     * everything allocated goes into the hand-off).
     */
    public static List<Range> linuxX86(GuestMemory mem, HandoffState state) {
        return new KeptMemory(mem, state).find();
    }

    private List<Range> find() {
        Long rsp = state.registers().get("RSP");
        if (rsp == null) return null;
        Set<Long> candidates = new LinkedHashSet<>(state.registers().values());
        Range stack = allocationAt(rsp);
        if (stack != null) {
            for (long a = rsp & ~7L, n = 0; a + 8 <= stack.end() && n < MAX_STACK_WORDS; a += 8, n++) candidates.add(read64(a));
        }
        List<Long> params = new ArrayList<>();
        for (long p : candidates) if (isBootParams(p)) params.add(p);
        if (params.isEmpty()) return null;
        keep(rsp, 1, "stack");
        long ret = read64(rsp);
        keep(ret, 1, "return address of ExitBootServices");
        Range code = allocationAt(ret);
        // The stub's own frames: what they point at (boot_params, the kernel copy it relocated), up to
        // the first return address into other code — the boot loader that called the stub, whose
        // frames hold its heap, which the kernel never uses.
        if (stack != null) {
            for (long a = rsp + 8, n = 0; a + 8 <= stack.end() && n < MAX_STACK_WORDS; a += 8, n++) {
                long w = read64(a);
                if ((code == null || w < code.start() || w >= code.end()) && returnAddress(w)) break;
                keepBase(w, "an allocation the stub's stack frames hold");
            }
        }
        for (String r : List.of("RBX", "RBP", "R12", "R13", "R14", "R15")) {
            Long v = state.registers().get(r);
            if (v != null) keepBase(v, "an allocation " + r + " holds");
        }
        for (long bp : params) followBootParams(bp);
        return List.copyOf(kept);
    }

    /** True when the bytes before {@code w} are a near CALL (rel32, register, or memory operand): {@code w} is a return address. */
    boolean returnAddress(long w) {
        MemoryMap.Region r = region(w - 7);
        if (r == null || r.fixed() || r.type() == MemoryType.CONVENTIONAL.code() || w > r.end()) return false;
        byte[] b = mem.read(w - 7, 7);
        int m1 = b[6] & 0xff, m2 = b[5] & 0xff;
        if ((b[2] & 0xff) == 0xe8) return true; // call rel32
        if (m2 == 0xff && (m1 & 0xf8) == 0xd0) return true; // call reg
        if ((b[4] & 0xff) == 0xff && (m2 & 0xf8) == 0x50 && (m2 & 7) != 4) return true; // call [reg+disp8]
        if ((b[3] & 0xff) == 0xff && (b[4] & 0xff) == 0x54) return true; // call [reg+index*s+disp8]
        if ((b[1] & 0xff) == 0xff && ((b[2] & 0xff) == 0x15 || ((b[2] & 0xff) & 0xf8) == 0x90)) return true; // call [rip+disp32], [reg+disp32]
        return false;
    }

    private boolean isBootParams(long p) {
        if ((p & 0xfff) != 0 || p == 0) return false;
        MemoryMap.Region r = region(p);
        if (r == null || !reclaimable(r.type()) || p + 0x1000 > r.end()) return false;
        return read32(p + 0x202) == HDRS && read32(p + 0x1c0) == EL64;
    }

    private void followBootParams(long bp) {
        keep(bp, 0x1000, "boot_params");
        keep(read32(bp + 0x228) | read32(bp + 0x0c8) << 32, 1, "command line");
        long initrd = read32(bp + 0x218) | read32(bp + 0x0c0) << 32, initrdSize = read32(bp + 0x21c) | read32(bp + 0x0c4) << 32;
        if (initrd != 0 && initrdSize > 0) keep(initrd, initrdSize, "initrd");
        keep(read32(bp + 0x214), 1, "kernel image (code32_start)");
        long memmap = read32(bp + 0x1d0) | read32(bp + 0x1dc) << 32;
        keep(memmap, Math.max(1, read32(bp + 0x1d4)), "EFI memory map");
        Set<Long> seen = new LinkedHashSet<>();
        for (long sd = read64(bp + 0x250); sd != 0 && seen.add(sd) && seen.size() <= MAX_SETUP_DATA; ) {
            if (region(sd) == null) break;
            keep(sd, 16 + read32(sd + 12), "setup_data");
            sd = read64(sd);
        }
        long systab = read32(bp + 0x1c4) | read32(bp + 0x1d8) << 32;
        if (systab == 0) systab = state.systemTable();
        if (region(systab) == null) return;
        keep(systab, 0x78, "EFI system table");
        keep(read64(systab + 0x18), 2, "firmware vendor");
        keep(read64(systab + 0x58), 1, "runtime services");
        long count = read64(systab + 0x68), tables = read64(systab + 0x70);
        if (region(tables) == null || count > 1024) return;
        keep(tables, count * 24, "configuration table array");
        for (long i = 0; i < count; i++) keep(read64(tables + i * 24 + 16), 1, "configuration table");
    }

    /**
     * Keeps the allocation that starts at {@code address}: a base address as AllocatePages returned
     * it, held by the stub. Pointers into the middle of an allocation are a caller's (the boot
     * loader's callee-saved registers, saved in the stub's frames: its heap).
     */
    private void keepBase(long address, String why) {
        Range a = allocationAt(address);
        if (a != null && a.start() == address) keep(address, 1, why);
    }

    /** Keeps the reclaimable allocations that overlap [address, address+size). */
    private void keep(long address, long size, String why) {
        if (address == 0 || size <= 0 || address + size < address) return;
        for (long at = address; at < address + size; ) {
            Range a = allocationAt(at);
            if (a == null) {
                MemoryMap.Region r = regionAfter(at);
                if (r == null || r.start() >= address + size) return;
                at = r.start();
                continue;
            }
            MemoryMap.Region r = region(at);
            if (r != null && reclaimable(r.type()) && kept.stream().noneMatch(k -> k.start() == a.start() && k.end() == a.end())) {
                kept.add(new Range(a.start(), a.end(), why));
            }
            at = a.end();
        }
    }

    /** The allocation holding {@code address}; failing that, its memory map region; null outside described memory. */
    private Range allocationAt(long address) {
        for (MemoryMap.Allocation a : state.allocations()) {
            if (a.start() <= address && address < a.end()) return new Range(a.start(), a.end(), "");
        }
        MemoryMap.Region r = region(address);
        return r == null || r.type() == MemoryType.CONVENTIONAL.code() ? null : new Range(r.start(), r.end(), "");
    }

    private MemoryMap.Region region(long address) {
        for (MemoryMap.Region r : state.memoryMap()) if (r.start() <= address && address < r.end()) return r;
        return null;
    }

    private MemoryMap.Region regionAfter(long address) {
        for (MemoryMap.Region r : state.memoryMap()) {
            if (r.start() > address && r.type() != MemoryType.CONVENTIONAL.code()) return r;
        }
        return null;
    }

    private long read64(long a) {
        MemoryMap.Region r = region(a);
        return r == null || r.fixed() || r.type() == MemoryType.CONVENTIONAL.code() || a + 8 > r.end() ? 0 : mem.u64(a);
    }

    private long read32(long a) {
        MemoryMap.Region r = region(a);
        return r == null || r.fixed() || r.type() == MemoryType.CONVENTIONAL.code() || a + 4 > r.end() ? 0 : mem.u32(a) & 0xffffffffL;
    }
}
