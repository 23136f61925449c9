/*
 * efiemu hand-off trampoline (x86_64). Makes the payload's call to ExitBootServices "return"
 * with EFI_SUCCESS on a real (or QEMU) machine, from the state efiemu captured at that call.
 *
 * Two entries:
 *   +0x00  entry32: 32-bit protected mode, paging off (how QEMU enters a PVH ELF,
 *          XEN_ELFNOTE_PHYS32_ENTRY): enters long mode on our page tables.
 *   +0x10  entry64: 64-bit mode with any identity mapping of the trampoline (how kexec enters).
 *          The kernel that kexecs leaves its own paging mode behind: 5-level paging (CR4.LA57)
 *          on CPUs that have it, any stack, no GDT. entry64 therefore loads our GDT and stack,
 *          drops to 32-bit compatibility mode, turns paging off (which leaves long mode) and
 *          clears CR4, then takes the entry32 path: the payload always resumes in 4-level paging,
 *          as the emulated CPU told it (its CPUID reports no LA57).
 * Both continue at common64: fill the placeholder EFI configuration-table entries for ACPI 2.0
 * and SMBIOS (from the host addresses efiemu stored, else by scanning the BIOS area), load our
 * identity page tables (CR3) and GDT, restore the captured general registers and stack, set
 * RAX = 0 (EFI_SUCCESS) and execute the `ret` the ExitBootServices stub did not get to run.
 * Interrupts stay off: there is no IDT until the kernel installs its own.
 *
 * Position independent, no relocations; the data block starts at +0x200, the stack's top is at
 * +0xff0, the page tables at +0x1000 (see Trampoline.java).
 */
        .intel_syntax noprefix
        .text
        .code32
trampoline:
entry32:
        cli
        call    1f
1:      pop     ebp
        sub     ebp, 6                               /* cli (1) + call (5) */
        jmp     long32
        .balign 16
entry64_k:
        .code64
        cli
        lea     rbp, [rip - 0x18]                    /* = trampoline */
        lgdt    [rbp + 0x200 + 0xb0]
        lea     rsp, [rbp + 0xff0]                   /* below 4 GiB: kexec's stack may not be */
        lea     rax, [rbp + TO32]
        push    0x18                                 /* 32-bit code segment */
        push    rax
        retfq

        .code32
to32:   /* Compatibility mode: paging off leaves long mode; then CR4 may change (LA57, PCIDE). */
        .set    TO32, to32 - trampoline
        mov     eax, 0x10
        mov     ds, eax
        mov     es, eax
        mov     ss, eax
        mov     eax, cr0
        and     eax, 0x7fffffff
        mov     cr0, eax
        xor     eax, eax
        mov     cr4, eax

long32: /* PAE (+OSFXSR, OSXMMEXCPT), our page tables, EFER.LME|NXE, paging, far return to 64-bit. */
        mov     eax, cr4
        or      eax, 0x620
        mov     cr4, eax
        mov     eax, dword ptr [ebp + 0x200 + 0x88]
        mov     cr3, eax
        mov     ecx, 0xc0000080
        rdmsr
        or      eax, 0x900
        wrmsr
        lgdt    [ebp + 0x200 + 0xb0]
        mov     eax, 0x80010033
        mov     cr0, eax
        lea     eax, [ebp + COMMON64]
        push    0x08
        push    eax
        retf

        .code64
common64:
        .set    COMMON64, common64 - trampoline
        /* ACPI 2.0 RSDP: the host's (kexec), else "RSD PTR " on a 16-byte boundary in
         * 0xE0000-0xFFFFF (ACPI spec 5.2.5.1). */
        mov     rdi, qword ptr [rbp + 0x200 + 0x98]  /* &config entry ACPI20.VendorTable */
        test    rdi, rdi
        jz      4f
        mov     rax, qword ptr [rbp + 0x200 + 0xa8]
        test    rax, rax
        jnz     3f
        mov     esi, 0xe0000
2:      cmp     dword ptr [rsi], 0x20445352          /* "RSD " */
        jne     21f
        cmp     dword ptr [rsi + 4], 0x20525450      /* "PTR " */
        jne     21f
        mov     rax, rsi
        jmp     3f
21:     add     esi, 16
        cmp     esi, 0x100000
        jb      2b
        jmp     4f
3:      mov     qword ptr [rdi], rax
4:      /* SMBIOS 2.x entry point: the host's, else "_SM_" in 0xF0000-0xFFFFF (SMBIOS spec 5.2.1). */
        mov     rdi, qword ptr [rbp + 0x200 + 0xa0]  /* &config entry SMBIOS.VendorTable */
        test    rdi, rdi
        jz      8f
        mov     rax, qword ptr [rbp + 0x200 + 0x90]
        test    rax, rax
        jnz     7f
        mov     esi, 0xf0000
5:      cmp     dword ptr [rsi], 0x5f4d535f          /* "_SM_" */
        jne     6f
        mov     rax, rsi
        jmp     7f
6:      add     esi, 16
        cmp     esi, 0x100000
        jb      5b
        jmp     8f
7:      mov     qword ptr [rdi], rax
8:      mov     rax, qword ptr [rbp + 0x200 + 0x88]
        mov     cr3, rax
        lgdt    [rbp + 0x200 + 0xb0]
        lea     rax, [rip + 9f]
        push    0x08
        push    rax
        retfq
9:      mov     eax, 0x10
        mov     ds, eax
        mov     es, eax
        mov     ss, eax
        mov     fs, eax
        mov     gs, eax
        /* Restore the captured registers (data block 0x00-0x80). */
        mov     rsp, qword ptr [rbp + 0x200 + 0x38]
        push    qword ptr [rbp + 0x200 + 0x80]       /* RFLAGS (IF clear) */
        popfq
        mov     rbx, qword ptr [rbp + 0x200 + 0x08]
        mov     rcx, qword ptr [rbp + 0x200 + 0x10]
        mov     rdx, qword ptr [rbp + 0x200 + 0x18]
        mov     rsi, qword ptr [rbp + 0x200 + 0x20]
        mov     rdi, qword ptr [rbp + 0x200 + 0x28]
        mov     r8,  qword ptr [rbp + 0x200 + 0x40]
        mov     r9,  qword ptr [rbp + 0x200 + 0x48]
        mov     r10, qword ptr [rbp + 0x200 + 0x50]
        mov     r11, qword ptr [rbp + 0x200 + 0x58]
        mov     r12, qword ptr [rbp + 0x200 + 0x60]
        mov     r13, qword ptr [rbp + 0x200 + 0x68]
        mov     r14, qword ptr [rbp + 0x200 + 0x70]
        mov     r15, qword ptr [rbp + 0x200 + 0x78]
        mov     rbp, qword ptr [rbp + 0x200 + 0x30]
        xor     eax, eax                             /* EFI_SUCCESS */
        ret                                          /* back into the payload, after ExitBootServices */
