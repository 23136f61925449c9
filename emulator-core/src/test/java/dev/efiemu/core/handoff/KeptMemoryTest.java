package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.handoff.KeptMemory.Range;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.HandoffState;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.memory.PlatformLayout;
import dev.efiemu.loader.Guid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which loader and boot-services allocations the hand-off keeps for an x86 Linux stub, range by
 * range and with the reason, on a real firmware (its stack, system table and memory map) with a
 * synthetic machine state at ExitBootServices: the stub's code and frames, a {@code struct
 * boot_params} filled in per the boot protocol (Documentation/arch/x86/zero-page.rst and boot.rst:
 * hdr.header "HdrS" at 0x202, efi_info at 0x1c0 with efi_loader_signature "EL64", efi_systab 0x1c4,
 * efi_memmap 0x1d0, efi_memmap_size 0x1d4, efi_systab_hi 0x1d8, efi_memmap_hi 0x1dc;
 * hdr.code32_start 0x214, hdr.ramdisk_image 0x218, hdr.ramdisk_size 0x21c, hdr.cmd_line_ptr 0x228,
 * hdr.setup_data 0x250; ext_ramdisk_image 0x0c0, ext_ramdisk_size 0x0c4, ext_cmd_line_ptr 0x0c8),
 * a setup_data chain (arch/x86/include/uapi/asm/bootparam.h: next u64, type u32, len u32, data),
 * and EFI_SYSTEM_TABLE / EFI_CONFIGURATION_TABLE (UEFI spec §4.3: FirmwareVendor at 0x18,
 * RuntimeServices 0x58, NumberOfTableEntries 0x68, ConfigurationTable 0x70; §4.6: 24-byte
 * entries, VendorTable at 16). Return addresses are told by the CALL encodings before them
 * (Intel SDM vol. 2A, CALL: E8 cd; FF /2 with ModRM register, [reg+disp8], SIB+disp8, [rip+disp32],
 * [reg+disp32]). The memory map is the q35 preset plus 64 MiB of RAM at 4 GiB, for the _hi/ext_ halves.
 */
class KeptMemoryTest {
    static final long PAGE = 4096, GIB4 = 1L << 32;
    // the payload's allocations (all in q35's free RAM from 1 MiB; the firmware's own sit near 1 GiB)
    static final long STUB = 0x1000000, KERNEL = 0x2000000, LOCALS = 0x2800000, HELD = 0x2900000, BP = 0x3000000,
            CMDLINE = 0x3100000, INITRD = 0x3200000, MEMMAP = 0x3300000, SD1 = 0x3400000, SD2 = 0x3500000,
            HEAP = 0x5000000, GRUB = 0x6000000, HOB = 0x7000000, ACPI_MAP = 0x7100000, UNUSED = 0x8000000;
    /** edk2's HOB list (PI spec vol. 3 §4.4 / gEfiHobListGuid): a configuration table in boot-services data. */
    static final Guid HOB_LIST = Guid.parse("7739f24c-93d7-11d4-9a3a-0090273fc14d");
    static final String FRAMES = "an allocation the stub's stack frames hold";

    Firmware fw;
    GuestMemory mem;
    MemoryMap map;
    long stackStart, stackEnd, rsp, systab;
    /** The address right after the stub's call of ExitBootServices: call [rax+0xe8] (FF 90 disp32). */
    long ebsReturn;
    final Map<String, Long> regs = new HashMap<>();

    @BeforeEach
    void open() {
        fw = new Firmware(MachineConfig.defaults().withLayout(() -> {
            MemoryMap m = PlatformLayout.q35(1L << 30);
            m.addRam(GIB4, GIB4 + (64L << 20));
            return m;
        }), PeImageFile::parse);
        mem = fw.memory();
        map = fw.machine().memoryMap();
        systab = fw.tables().systemTable();
        long top = fw.machine().stackTop();
        MemoryMap.Allocation s = map.allocations().stream().filter(a -> a.start() <= top && top < a.end()).findFirst().orElseThrow();
        stackStart = s.start();
        stackEnd = s.end();
        rsp = top - 0x1000;
        mem.fill(rsp, stackEnd - rsp, 0);
        regs.put("RSP", rsp);
        regs.put("RIP", 0x3ffd0000L);
    }

    @AfterEach
    void close() {
        fw.close();
    }

    long alloc(MemoryType type, long at, long pages) {
        return map.allocate(MemoryMap.AllocateType.ADDRESS, type.code(), pages, at);
    }

    void bytes(long at, int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        mem.write(at, out);
    }

    /** The stack from RSP up: [RSP] is ExitBootServices' return address, then the callers' frames. */
    void stack(long... words) {
        for (int i = 0; i < words.length; i++) mem.u64(rsp + 8L * i, words[i]);
    }

    /** The stub's image (LoaderCode, as LoadImage placed it) with its call of ExitBootServices at +0x1000. */
    void stub() {
        alloc(MemoryType.LOADER_CODE, STUB, 16);
        bytes(STUB + 0x1000, 0xff, 0x90, 0xe8, 0, 0, 0);
        ebsReturn = STUB + 0x1006;
    }

    /** A boot loader's image (GRUB's, say) with a call of the stub at +0x100 through [rip+disp32]; returns the return address. */
    long bootLoader() {
        alloc(MemoryType.LOADER_CODE, GRUB, 16);
        bytes(GRUB + 0x100, 0xff, 0x15, 0x10, 0x20, 0, 0);
        return GRUB + 0x106;
    }

    /** A page-aligned boot_params with hdr.header "HdrS" and efi_loader_signature "EL64". */
    long bootParams(MemoryType type, long at, long pages) {
        alloc(type, at, pages);
        mem.u32(at + 0x202, KeptMemory.HDRS);
        mem.u32(at + 0x1c0, KeptMemory.EL64);
        return at;
    }

    /** Writes a 64-bit address as the boot protocol's two 32-bit halves. */
    void split(long lo, long hi, long value) {
        mem.u32(lo, value & 0xffffffffL);
        mem.u32(hi, value >>> 32);
    }

    void setupData(long node, long next, int type, int len) {
        mem.u64(node, next);
        mem.u32(node + 8, type);
        mem.u32(node + 12, len);
    }

    List<Range> kept() {
        return kept(systab);
    }

    List<Range> kept(long systemTable) {
        return KeptMemory.linuxX86(mem, new HandoffState(regs, map.regions(), Map.of(), systemTable, map.allocations()));
    }

    static Range r(long start, long pages, String why) {
        return new Range(start, start + pages * PAGE, why);
    }

    /** The stub with boot_params in RSI: what every kept list starts with. */
    List<Range> minimal() {
        stub();
        bootParams(MemoryType.LOADER_DATA, BP, 4);
        regs.put("RSI", BP);
        stack(ebsReturn);
        return List.of(new Range(stackStart, stackEnd, "stack"), r(STUB, 16, "return address of ExitBootServices"), r(BP, 4, "boot_params"));
    }

    @Test
    void theStubsPointersAreKeptAndTheBootLoadersHeapIsNot() {
        stub();
        long grubReturn = bootLoader();
        bytes(STUB + 0x2000, 0xe8, 0, 0, 0, 0); // a call inside the stub: its return address does not end the walk
        alloc(MemoryType.LOADER_DATA, KERNEL, 64);
        alloc(MemoryType.LOADER_DATA, LOCALS, 1);
        alloc(MemoryType.LOADER_DATA, HELD, 1);
        alloc(MemoryType.LOADER_DATA, HEAP, 0x800);
        alloc(MemoryType.BOOT_SERVICES_DATA, UNUSED, 8);
        long bp = bootParams(MemoryType.LOADER_DATA, BP, 4);
        alloc(MemoryType.LOADER_DATA, CMDLINE, 1);
        alloc(MemoryType.LOADER_DATA, INITRD, 3);
        alloc(MemoryType.LOADER_DATA, MEMMAP, 2);
        alloc(MemoryType.LOADER_DATA, SD1, 1);
        alloc(MemoryType.LOADER_DATA, SD2, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, HOB, 2);
        alloc(MemoryType.ACPI_RECLAIM, ACPI_MAP, 1);
        fw.tables().installConfigTable(HOB_LIST, HOB);
        fw.tables().installConfigTable(Guids.LINUX_BOOT_MEMMAP, ACPI_MAP); // the stub's, in ACPI reclaim: kept whole elsewhere
        split(bp + 0x228, bp + 0x0c8, CMDLINE + 0x10);
        split(bp + 0x218, bp + 0x0c0, INITRD);
        split(bp + 0x21c, bp + 0x0c4, 3 * PAGE - 100);
        mem.u32(bp + 0x214, KERNEL);
        split(bp + 0x1d0, bp + 0x1dc, MEMMAP);
        mem.u32(bp + 0x1d4, 0x1800);
        split(bp + 0x1c4, bp + 0x1d8, systab);
        mem.u64(bp + 0x250, SD1);
        setupData(SD1, SD2, 1, 0x20);
        setupData(SD2, 0, 9, 0x20);
        stack(ebsReturn, STUB + 0x2005, LOCALS, HEAP + 0x1230, grubReturn, HEAP, UNUSED);
        regs.put("RCX", 0x3fec0100L);
        regs.put("RDX", 0x1234L);
        regs.put("RSI", bp);
        regs.put("RBP", rsp + 0x30);
        regs.put("RBX", HEAP + 0x40);
        regs.put("R13", HELD);

        assertEquals(List.of(
                new Range(stackStart, stackEnd, "stack"),
                r(STUB, 16, "return address of ExitBootServices"),
                r(LOCALS, 1, FRAMES),
                r(HELD, 1, "an allocation R13 holds"),
                r(BP, 4, "boot_params"),
                r(CMDLINE, 1, "command line"),
                r(INITRD, 3, "initrd"),
                r(KERNEL, 64, "kernel image (code32_start)"),
                r(MEMMAP, 2, "EFI memory map"),
                r(SD1, 1, "setup_data"),
                r(SD2, 1, "setup_data"),
                r(HOB, 2, "configuration table")), kept());
    }

    @Test
    void withoutBootParamsTheRuleDoesNotApply() {
        stub();
        stack(ebsReturn);
        assertNull(kept(), "no boot_params anywhere");
        regs.remove("RSP");
        regs.put("RSI", bootParams(MemoryType.LOADER_DATA, BP, 1));
        assertNull(kept(), "no RSP: not a machine state from ExitBootServices");
    }

    @Test
    void bootParamsNeedBothSignaturesOnAPageOfLoaderMemory() {
        stub();
        stack(ebsReturn);
        alloc(MemoryType.LOADER_DATA, 0x3000000, 1);
        mem.u32(0x3000202, KeptMemory.HDRS);
        regs.put("RSI", 0x3000000L);
        assertNull(kept(), "HdrS without EL64");
        alloc(MemoryType.LOADER_DATA, 0x3002000, 1);
        mem.u32(0x30021c0, KeptMemory.EL64);
        regs.put("RSI", 0x3002000L);
        assertNull(kept(), "EL64 without HdrS");
        alloc(MemoryType.LOADER_DATA, 0x3004000, 1);
        mem.u32(0x3004010 + 0x202, KeptMemory.HDRS);
        mem.u32(0x3004010 + 0x1c0, KeptMemory.EL64);
        regs.put("RSI", 0x3004010L);
        assertNull(kept(), "not page-aligned");
        regs.put("RSI", bootParams(MemoryType.RUNTIME_SERVICES_DATA, 0x3006000, 1));
        assertNull(kept(), "runtime data is not where the stub allocates boot_params");
        regs.put("RSI", bootParams(MemoryType.LOADER_DATA, 0x3008000, 1));
        map.retype(0x3008000, PAGE, MemoryType.LOADER_DATA.code(), true);
        assertNull(kept(), "a fixed (platform) range is never read");
        // the last page of its region (boot-services data follows): found
        long bp = bootParams(MemoryType.LOADER_DATA, 0x300a000, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, 0x300b000, 1);
        regs.put("RSI", bp);
        assertEquals(List.of(new Range(stackStart, stackEnd, "stack"), r(STUB, 16, "return address of ExitBootServices"), r(bp, 1, "boot_params")), kept());
    }

    @Test
    void bootParamsOnTheStackAreFoundUpToItsEndWithinTheScanLimit() {
        stub();
        bootParams(MemoryType.LOADER_DATA, BP, 1);
        long words = KeptMemory.MAX_STACK_WORDS;
        rsp = stackEnd - 8 * words;              // the stack's last word is the scan's last
        regs.put("RSP", rsp);
        mem.fill(rsp, stackEnd - rsp, 0);
        stack(ebsReturn);
        mem.u64(stackEnd - 8, BP);
        // the frame walk reads it too, and keeps it first (no return address before it)
        assertEquals(List.of(new Range(stackStart, stackEnd, "stack"), r(STUB, 16, "return address of ExitBootServices"), r(BP, 1, FRAMES)),
                kept(), "boot_params in the last word of the stack");
        mem.u64(rsp, 0);
        rsp -= 8;                                // one word more than the scan reads
        regs.put("RSP", rsp);
        stack(ebsReturn);
        assertNull(kept(), "boot_params one word past the scan limit");
        // nor is the word right after the stack (the next allocation's first) part of it
        mem.u64(stackEnd - 8, 0);
        rsp = stackEnd - 0x100;
        regs.put("RSP", rsp);
        stack(ebsReturn);
        long after = stackEnd;
        MemoryMap.Region next = map.find(after);
        assertTrue(!next.fixed() && next.type() != MemoryType.CONVENTIONAL.code(), "allocated memory after the stack: " + next);
        long saved = mem.u64(after);
        mem.u64(after, BP);
        assertNull(kept(), "boot_params right after the stack");
        regs.put("RSI", BP);
        alloc(MemoryType.LOADER_DATA, HELD, 1);
        mem.u64(after, HELD);
        assertEquals(List.of(new Range(stackStart, stackEnd, "stack"), r(STUB, 16, "return address of ExitBootServices"), r(BP, 1, "boot_params")),
                kept(), "an allocation's base right after the stack");
        mem.u64(after, saved);
        regs.remove("RSI");
        mem.fill(rsp, stackEnd - rsp, 0);
        rsp = stackEnd - 8 * words - 8;
        regs.put("RSP", rsp);
        stack(ebsReturn);
        // the frame walk reads as many words after [RSP]: boot_params in RSI, two allocations at its end
        mem.u64(stackEnd - 8, 0);
        rsp -= 8;
        regs.put("RSP", rsp);
        regs.put("RSI", BP);
        stack(ebsReturn);
        alloc(MemoryType.LOADER_DATA, LOCALS, 1);
        alloc(MemoryType.LOADER_DATA, HEAP, 1);
        mem.u64(rsp + 8L * words, LOCALS);      // the walk's last word
        mem.u64(rsp + 8L * (words + 1), HEAP);  // one past it
        assertEquals(List.of(new Range(stackStart, stackEnd, "stack"), r(STUB, 16, "return address of ExitBootServices"), r(LOCALS, 1, FRAMES),
                r(BP, 1, "boot_params")), kept());
    }

    @Test
    void wordsBelowRspAreDeadAndTheStubsCodeEndsWhereItsAllocationDoes() {
        List<Range> expected = new ArrayList<>(minimal());
        alloc(MemoryType.LOADER_DATA, LOCALS, 1);
        alloc(MemoryType.LOADER_DATA, HEAP, 1);
        alloc(MemoryType.LOADER_DATA, HELD, 1);
        mem.u64(rsp - 8, HEAP);                  // popped: below the stack pointer
        // a boot loader's code right before the stub's, ending in a call: the stub's image base
        // (held in its frames) is where that call returns to, and still inside the stub
        alloc(MemoryType.LOADER_CODE, STUB - 16 * PAGE, 16);
        bytes(STUB - 5, 0xe8, 0, 0, 0, 0);
        stack(ebsReturn, STUB, LOCALS);
        expected.add(2, r(LOCALS, 1, FRAMES));
        assertEquals(expected, kept());
        // a call as the stub's last instruction returns to the first byte after its allocation: other code
        bytes(STUB + 16 * PAGE - 5, 0xe8, 0, 0, 0, 0);
        stack(ebsReturn, STUB + 16 * PAGE, HELD);
        expected.remove(2);
        assertEquals(expected, kept());
    }

    @Test
    void pointersIntoPlatformRangesAndHoles() {
        List<Range> expected = new ArrayList<>(minimal());
        // SeaBIOS's tables at the top of low RAM (PlatformLayout.q35): fixed boot-services data, no
        // allocation; kept as its region (Handoff never captures fixed ranges)
        MemoryMap.Region bios = map.find(0x3efdf000L);
        assertTrue(bios.fixed() && bios.type() == MemoryType.BOOT_SERVICES_DATA.code(), bios.toString());
        split(BP + 0x228, BP + 0x0c8, bios.start() + 0x123);
        mem.u32(BP + 0x214, 0x9f000);            // SeaBIOS's EBDA: reserved, not reclaimable
        split(BP + 0x1d0, BP + 0x1dc, 0x90000000L); // the hole below the PCIe window: nothing
        mem.u32(BP + 0x1d4, 0x1000);
        expected.add(new Range(bios.start(), bios.end(), "command line"));
        assertEquals(expected, kept());
    }

    @Test
    void aMisalignedSetupDataNodeIsNotReadPastItsRegion() {
        List<Range> expected = new ArrayList<>(minimal());
        long a = alloc(MemoryType.LOADER_DATA, SD1, 1);  // free memory after it
        long other = alloc(MemoryType.LOADER_DATA, SD1 + 8 * PAGE, 1);
        long node = a + PAGE - 4;                  // next runs past the page: read as 0, the chain ends
        mem.u32(node, other);                      // (its low half alone would point at another node)
        mem.u64(BP + 0x250, node);
        expected.add(r(a, 1, "setup_data"));
        assertEquals(expected, kept());
        node = a + PAGE - 14;                      // len runs past the page: read as 0
        mem.u64(node, 0);
        mem.u32(node + 8, 1);
        mem.u16(node + 12, 0xffff);                // (its low half alone would reach the other allocation)
        mem.u64(BP + 0x250, node);
        assertEquals(expected, kept());
    }

    /** A word in the frames after a CALL encoding ends the walk: the boot loader's heap base after it is not kept. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "call rel32,               e8 00 00 00 00,    true",
        "call rax,                 ff d0,             true",
        "call r11,                 41 ff d3,          true",
        "call [rax+0x18],          ff 50 18,          true",
        "call [rsp+0x20] (SIB),    ff 54 24 20,       true",
        "call [rip+disp32],        ff 15 00 01 00 00, true",
        "call [rbx+disp32],        ff 93 00 01 00 00, true",
        "jmp rax,                  ff e0,             false",
        "ModRM 0x54 without SIB,   ff 54 24,          false",
        "mov rax [rbx+8],          48 8b 43 08,       false",
        "call [rsp] (SIB no disp), ff 14 24,          false",
    })
    void returnAddressesAreToldByTheCallBeforeThem(String what, String encoding, boolean isCall) {
        List<Range> expected = new ArrayList<>(minimal());
        alloc(MemoryType.LOADER_CODE, GRUB, 16);
        alloc(MemoryType.LOADER_DATA, HEAP, 16);
        String[] hex = encoding.trim().split(" ");
        int[] b = new int[hex.length];
        for (int i = 0; i < b.length; i++) b[i] = Integer.parseInt(hex[i], 16);
        bytes(GRUB + 0x100, b);
        stack(ebsReturn, GRUB + 0x100 + b.length, HEAP);
        regs.remove("RSI");
        mem.u64(rsp + 24, BP);                   // boot_params deeper in the boot loader's frames
        expected.remove(2);
        if (!isCall) expected.add(r(HEAP, 16, FRAMES));
        expected.add(r(BP, 4, isCall ? "boot_params" : FRAMES));
        assertEquals(expected, kept(), what);
    }

    @Test
    void aReturnAddressNeedsItsCallInOneNonFixedRegion() {
        List<Range> base = minimal();
        alloc(MemoryType.LOADER_CODE, GRUB, 16);
        alloc(MemoryType.LOADER_DATA, GRUB + 16 * PAGE, 1);   // data right after the code: another region
        alloc(MemoryType.LOADER_DATA, HEAP, 16);
        long end = GRUB + 16 * PAGE;
        // a call as the code's last instruction: its return address is the region's end
        bytes(end - 5, 0xe8, 0, 0, 0, 0);
        stack(ebsReturn, end, HEAP);
        assertEquals(base, kept(), "return address at the end of its call's region");
        // 0xe8 five bytes before a word that lies past the region the call would be in: no call
        bytes(end - 5, 0, 0, 0, 0, 0);
        bytes(end - 3, 0xe8);
        stack(ebsReturn, end + 2, HEAP);
        assertEquals(withHeap(base), kept(), "a call straddling two regions");
        // a call in a fixed (platform) range
        alloc(MemoryType.LOADER_CODE, 0x6100000, 1);
        bytes(0x6100100, 0xe8, 0, 0, 0, 0);
        map.retype(0x6100000, PAGE, MemoryType.LOADER_CODE.code(), true);
        stack(ebsReturn, 0x6100105, HEAP);
        assertEquals(withHeap(base), kept(), "fixed range");
        stack(ebsReturn, 5, HEAP);
        assertEquals(withHeap(base), kept(), "a small number: nothing before it");
        stack(ebsReturn, 0x9000105L, HEAP);
        assertEquals(withHeap(base), kept(), "free memory");
    }

    List<Range> withHeap(List<Range> base) {
        List<Range> out = new ArrayList<>(base.subList(0, 2));
        out.add(r(HEAP, 16, FRAMES));
        out.addAll(base.subList(2, base.size()));
        return out;
    }

    @Test
    void withoutReturnAddressIntoCodeEveryReturnAddressEndsTheWalk() {
        stub();
        bootParams(MemoryType.LOADER_DATA, BP, 4);
        regs.put("RSI", BP);
        bytes(STUB + 0x2000, 0xe8, 0, 0, 0, 0);
        alloc(MemoryType.LOADER_DATA, LOCALS, 1);
        alloc(MemoryType.LOADER_DATA, HEAP, 16);
        stack(0x9000000L, LOCALS, STUB + 0x2005, HEAP);   // [RSP] in free memory: no code known
        assertEquals(List.of(new Range(stackStart, stackEnd, "stack"), r(LOCALS, 1, FRAMES), r(BP, 4, "boot_params")), kept());
    }

    @Test
    void calleeSavedRegistersKeepTheAllocationsTheyStartAt() {
        List<Range> expected = new ArrayList<>(minimal());
        String[] callee = {"RBX", "RBP", "R12", "R13", "R14", "R15"};
        for (int i = 0; i < callee.length; i++) {
            long a = alloc(MemoryType.BOOT_SERVICES_DATA, 0x4000000 + i * 0x10000L, 1);
            regs.put(callee[i], a);
            expected.add(2 + i, r(a, 1, "an allocation " + callee[i] + " holds"));
        }
        long other = alloc(MemoryType.LOADER_DATA, 0x4100000, 1);
        regs.put("RAX", other);                 // not callee-saved: the stub's locals are not in it
        regs.put("RDI", 0x4000000 + 0x10L);     // inside, not at the start
        assertEquals(expected, kept());
    }

    @Test
    void aRangeKeepsTheAllocationsItOverlapsAndNoMore() {
        List<Range> expected = new ArrayList<>(minimal());
        // initrd filling its allocation exactly, another LoaderData allocation right after (one region)
        alloc(MemoryType.LOADER_DATA, INITRD, 2);
        alloc(MemoryType.LOADER_DATA, INITRD + 2 * PAGE, 1);
        split(BP + 0x218, BP + 0x0c0, INITRD);
        split(BP + 0x21c, BP + 0x0c4, 2 * PAGE);
        // the command line at the end of one allocation is the start of the next
        alloc(MemoryType.LOADER_DATA, CMDLINE, 1);
        alloc(MemoryType.LOADER_DATA, CMDLINE + PAGE, 1);
        split(BP + 0x228, BP + 0x0c8, CMDLINE + PAGE);
        // the memory map across a page of free memory: both allocations it overlaps, not the one after
        alloc(MemoryType.LOADER_DATA, MEMMAP, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, MEMMAP + 2 * PAGE, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, MEMMAP + 3 * PAGE, 1);
        split(BP + 0x1d0, BP + 0x1dc, MEMMAP);
        mem.u32(BP + 0x1d4, 3 * PAGE);
        // code32_start in the boot_params allocation itself: kept once, for the first reason
        mem.u32(BP + 0x214, BP + 0x2000);
        expected.add(r(CMDLINE + PAGE, 1, "command line"));
        expected.add(r(INITRD, 2, "initrd"));
        expected.add(r(MEMMAP, 1, "EFI memory map"));
        expected.add(r(MEMMAP + 2 * PAGE, 1, "EFI memory map"));
        assertEquals(expected, kept());
    }

    @Test
    void anEmptyOrMissingInitrdAndPointersIntoFreeMemoryKeepNothing() {
        List<Range> expected = minimal();
        alloc(MemoryType.LOADER_DATA, INITRD, 2);
        split(BP + 0x218, BP + 0x0c0, INITRD);  // ramdisk_size 0: no initrd
        split(BP + 0x228, BP + 0x0c8, GIB4 + 0x1000000);  // free memory, no allocation after it
        split(BP + 0x1d0, BP + 0x1dc, 0x9000000);         // free memory with allocations far above
        mem.u32(BP + 0x1d4, 0x1000);
        assertEquals(expected, kept());
    }

    @Test
    void theHighHalvesAndExtFieldsAddressMemoryAbove4GiB() {
        List<Range> expected = new ArrayList<>(minimal());
        long cmd = alloc(MemoryType.LOADER_DATA, GIB4 + 0x100000, 1);
        long memmap = alloc(MemoryType.LOADER_DATA, GIB4 + 0x180000, 1);
        long initrd = alloc(MemoryType.LOADER_DATA, GIB4 + 0x200000, 2);
        long inside = alloc(MemoryType.LOADER_DATA, GIB4 + 0x300000, 1);
        long after = alloc(MemoryType.LOADER_DATA, GIB4 + 0x2000000, 1);
        split(BP + 0x228, BP + 0x0c8, cmd);
        split(BP + 0x218, BP + 0x0c0, initrd);
        split(BP + 0x21c, BP + 0x0c4, (1L << 32) + PAGE);  // more than 4 GiB: reaches every allocation above it
        split(BP + 0x1d0, BP + 0x1dc, memmap);
        mem.u32(BP + 0x1d4, 48 * 20);
        expected.add(r(cmd, 1, "command line"));
        expected.add(r(initrd, 2, "initrd"));
        expected.add(r(inside, 1, "initrd"));
        expected.add(r(after, 1, "initrd"));
        expected.add(r(memmap, 1, "EFI memory map"));
        assertEquals(expected, kept());
    }

    /** A system table of its own above 4 GiB, all in boot-services data, so each pointer's allocation shows. */
    long systemTable(long count) {
        long st = alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x400000, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x500000, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x600000, 1);
        mem.u64(st + 0x18, GIB4 + 0x500ffe);      // FirmwareVendor: its NUL ends the page
        mem.u64(st + 0x58, GIB4 + 0x600000);      // RuntimeServices
        mem.u64(st + 0x68, count);                // NumberOfTableEntries
        return st;
    }

    @Test
    void theSystemTableItsVendorRuntimeServicesAndConfigurationTables() {
        List<Range> expected = new ArrayList<>(minimal());
        long st = systemTable(2);
        long ct = alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x700000, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x701000, 1);   // right after the array: not kept
        long tables = ct + PAGE - 48;
        mem.u64(st + 0x70, tables);
        long t0 = alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x800000, 1), t1 = alloc(MemoryType.LOADER_DATA, GIB4 + 0x900000, 1);
        mem.u64(tables + 16, t0 + 8);
        mem.u64(tables + 24 + 16, t1);
        split(BP + 0x1c4, BP + 0x1d8, st);
        expected.add(r(st, 1, "EFI system table"));
        expected.add(r(GIB4 + 0x500000, 1, "firmware vendor"));
        expected.add(r(GIB4 + 0x600000, 1, "runtime services"));
        expected.add(r(ct, 1, "configuration table array"));
        expected.add(r(t0, 1, "configuration table"));
        expected.add(r(t1, 1, "configuration table"));
        assertEquals(expected, kept());
        split(BP + 0x1c4, BP + 0x1d8, 0);
        assertEquals(expected, kept(st), "efi_systab 0: the firmware's own system table");
    }

    @Test
    void atMost1024ConfigurationTablesAreFollowed() {
        List<Range> expected = new ArrayList<>(minimal());
        long st = systemTable(1024);
        long tables = alloc(MemoryType.BOOT_SERVICES_DATA, GIB4 + 0x700000, 7); // 1024 entries and a spare page
        mem.u64(st + 0x70, tables);
        long last = alloc(MemoryType.LOADER_DATA, GIB4 + 0x800000, 1), past = alloc(MemoryType.LOADER_DATA, GIB4 + 0x900000, 1);
        mem.u64(tables + 1023 * 24 + 16, last);
        mem.u64(tables + 1024 * 24 + 16, past);   // behind the array: not an entry
        split(BP + 0x1c4, BP + 0x1d8, st);
        expected.add(r(st, 1, "EFI system table"));
        expected.add(r(GIB4 + 0x500000, 1, "firmware vendor"));
        expected.add(r(GIB4 + 0x600000, 1, "runtime services"));
        List<Range> head = List.copyOf(expected);
        expected.add(r(tables, 7, "configuration table array"));
        expected.add(r(last, 1, "configuration table"));
        assertEquals(expected, kept());
        mem.u64(st + 0x68, 1025);
        assertEquals(head, kept(), "1025 entries: not a table array");
    }

    @Test
    void setupDataIsFollowedUpTo256NodesAndThroughCycles() {
        List<Range> expected = new ArrayList<>(minimal());
        int n = KeptMemory.MAX_SETUP_DATA + 1;
        for (int i = 0; i < n; i++) {
            long node = alloc(MemoryType.LOADER_DATA, 0x10000000L + i * 2 * PAGE, 1);
            setupData(node, i + 1 < n ? node + 2 * PAGE : 0, 1, 0);
            if (i < KeptMemory.MAX_SETUP_DATA) expected.add(r(node, 1, "setup_data"));
        }
        mem.u64(BP + 0x250, 0x10000000L);
        assertEquals(expected, kept());
        // a cycle: each node once, and the walk ends
        setupData(0x10000000L + 2 * PAGE, 0x10000000L, 1, 0);
        assertEquals(expected.subList(0, 5), kept());
    }

    @Test
    void aSetupDataNodeKeepsItsHeaderAndDataAcrossAllocations() {
        List<Range> expected = new ArrayList<>(minimal());
        long a = alloc(MemoryType.LOADER_DATA, SD1, 1);
        long b = alloc(MemoryType.BOOT_SERVICES_DATA, SD1 + PAGE, 1);
        alloc(MemoryType.BOOT_SERVICES_DATA, SD1 + 2 * PAGE, 1);
        long node = a + PAGE - 16;                 // header ends with its page; len 0x20 of data in the next
        setupData(node, 0x90000000L, 3, 0x20);     // next: a hole in the map ends the chain
        mem.u64(BP + 0x250, node);
        expected.add(r(a, 1, "setup_data"));
        expected.add(r(b, 1, "setup_data"));
        assertEquals(expected, kept());
    }

    @Test
    void onlyLoaderAndBootServicesMemoryIsReclaimable() {
        for (MemoryType t : MemoryType.values()) {
            boolean expected = t == MemoryType.LOADER_CODE || t == MemoryType.LOADER_DATA
                    || t == MemoryType.BOOT_SERVICES_CODE || t == MemoryType.BOOT_SERVICES_DATA;
            assertEquals(expected, KeptMemory.reclaimable(t.code()), t.name());
        }
    }
}
