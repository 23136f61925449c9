package dev.efiemu.engine.kvm;

/**
 * Byte offsets in KVM's x86 structures (include/uapi/asm-x86/kvm.h): {@code kvm_regs},
 * {@code kvm_sregs} with its {@code kvm_segment}s and {@code kvm_dtable}s, {@code kvm_fpu},
 * {@code kvm_cpuid_entry2}, {@code kvm_msr_entry}, and the shared {@code kvm_run} page
 * (include/uapi/linux/kvm.h).
 */
final class Layout {
    private Layout() {}

    /** kvm_regs: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags, 8 bytes each. */
    static final int REGS_SIZE = 18 * 8;
    static final int RAX = 0, RBX = 8, RCX = 16, RDX = 24, RSI = 32, RDI = 40, RSP = 48, RBP = 56, R8 = 64,
            RIP = 128, RFLAGS = 136;

    /** kvm_sregs: cs ds es fs gs ss tr ldt (kvm_segment, 24 bytes each), gdt idt (kvm_dtable, 16), cr0 cr2 cr3 cr4 cr8 efer apic_base, interrupt_bitmap[4]. */
    static final int SREGS_SIZE = 312;
    static final int CS = 0, DS = 24, ES = 48, FS = 72, GS = 96, SS = 120, TR = 144, LDT = 168, GDT = 192, IDT = 208;
    static final int CR0 = 224, CR2 = 232, CR3 = 240, CR4 = 248, CR8 = 256, EFER = 264, APIC_BASE = 272;

    /** kvm_segment: base u64, limit u32, selector u16, type present dpl db s l g avl unusable padding (u8 each). */
    static final int SEG_BASE = 0, SEG_LIMIT = 8, SEG_SELECTOR = 12, SEG_TYPE = 14, SEG_PRESENT = 15, SEG_DPL = 16,
            SEG_DB = 17, SEG_S = 18, SEG_L = 19, SEG_G = 20, SEG_AVL = 21, SEG_UNUSABLE = 22;

    /** kvm_dtable: base u64, limit u16. */
    static final int DT_BASE = 0, DT_LIMIT = 8;

    /** kvm_fpu: fpr[8][16], fcw, fsw, ftwx, pad, last_opcode, last_ip, last_dp, xmm[16][16], mxcsr, pad. */
    static final int FPU_SIZE = 416, FPU_MXCSR = 408;

    /** kvm_cpuid2 header (nent, padding) and kvm_cpuid_entry2: function index flags eax ebx ecx edx padding[3]. */
    static final int CPUID2_HEADER = 8, CPUID_ENTRY = 40;

    /** kvm_msrs header (nmsrs, pad) and kvm_msr_entry: index u32, reserved u32, data u64. */
    static final int MSRS_HEADER = 8, MSR_ENTRY = 16;

    /** kvm_run: immediate_exit u8 at 1, exit_reason u32 at 8, the exit's union at 32. */
    static final int RUN_IMMEDIATE_EXIT = 1, RUN_EXIT_REASON = 8, RUN_UNION = 32;
    /** KVM_EXIT_IO: direction u8, size u8, port u16, count u32, data_offset u64. */
    static final int IO_DIRECTION = 32, IO_SIZE = 33, IO_PORT = 34, IO_COUNT = 36, IO_DATA_OFFSET = 40;
    /** KVM_EXIT_MMIO: phys_addr u64, data[8], len u32, is_write u8. */
    static final int MMIO_ADDRESS = 32, MMIO_DATA = 40, MMIO_LEN = 48, MMIO_IS_WRITE = 52;
    /** KVM_EXIT_INTERNAL_ERROR: suberror u32, ndata u32, data u64[]; KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason u64. */
    static final int INTERNAL_SUBERROR = 32, FAIL_ENTRY_REASON = 32;
}
