/*
 * efiemu hand-off trampoline, AArch64 (docs/handoff.md, "AArch64").
 *
 * Entered like a bare-metal image or a kexec'd kernel: MMU and caches off, at EL1 or EL2 (non-VHE
 * or VHE), any register contents. It rebuilds what the payload had under the UEFI AArch64
 * binding (UEFI spec 2.3.6): interrupts masked, the MMU on with an identity map (normal write-back
 * RAM, device memory elsewhere; the tables are built by Trampoline64 in Java), FP/SIMD enabled,
 * and a vector table. Then it restores the registers captured at the ExitBootServices call and
 * returns from it with X0 = EFI_SUCCESS.
 *
 * Data block at +DATA (filled by Aarch64Trampoline.finish): see the offsets below. Position
 * independent: assembled once, the binary is committed (scripts/assemble-trampoline.sh).
 */
	.equ	DATA,		0x600
	.equ	D_REGS,		DATA + 0x000	/* X1..X30 (x0 is the return value), 30 x 8 */
	.equ	D_SP,		DATA + 0x0f0
	.equ	D_NZCV,		DATA + 0x0f8
	.equ	D_MAIR,		DATA + 0x100
	.equ	D_TCR1,		DATA + 0x108	/* TCR_EL1 layout (EL1, and EL2 with E2H); IPS filled here */
	.equ	D_TCR2,		DATA + 0x110	/* TCR_EL2 layout without E2H; PS filled here */
	.equ	D_TTBR1,	DATA + 0x118	/* tables with the EL1&0 / EL2&0 descriptor format */
	.equ	D_TTBR2,	DATA + 0x120	/* tables with the EL2 (one privilege level) format */
	.equ	D_SCTLR1,	DATA + 0x128	/* SCTLR_EL1 layout: M C SA SA0 I + RES1 */
	.equ	D_SCTLR2,	DATA + 0x130	/* SCTLR_EL2 layout without E2H */
	.equ	VECTORS,	0x800

	.text
entry:
	msr	daifset, #0xf
	adr	x20, entry
	ic	iallu			/* nothing stale in the instruction cache */
	dsb	nsh
	isb
	mrs	x1, id_aa64mmfr0_el1
	and	x19, x1, #7		/* PARange: the output size the tables may use */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.eq	el2
	b.hi	unsupported

el1:
	ldr	x1, [x20, #D_MAIR]
	msr	mair_el1, x1
	ldr	x1, [x20, #D_TCR1]
	bfi	x1, x19, #32, #3	/* TCR_EL1.IPS */
	msr	tcr_el1, x1
	ldr	x1, [x20, #D_TTBR1]
	msr	ttbr0_el1, x1
	add	x1, x20, #VECTORS
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN: FP/SIMD at EL1 and EL0 */
	msr	cpacr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x1, [x20, #D_SCTLR1]
	msr	sctlr_el1, x1
	isb
	b	restore

el2:
	mrs	x1, hcr_el2
	tbnz	x1, #34, vhe		/* HCR_EL2.E2H: the EL2&0 regime, EL1 register layouts */
	ldr	x1, [x20, #D_MAIR]
	msr	mair_el2, x1
	ldr	x1, [x20, #D_TCR2]
	bfi	x1, x19, #16, #3	/* TCR_EL2.PS */
	msr	tcr_el2, x1
	ldr	x1, [x20, #D_TTBR2]
	msr	ttbr0_el2, x1
	add	x1, x20, #VECTORS
	msr	vbar_el2, x1
	mov	x1, #0x33ff		/* CPTR_EL2: RES1 bits, TFP clear (no FP/SIMD traps) */
	msr	cptr_el2, x1
	isb
	tlbi	alle2
	dsb	nsh
	isb
	ldr	x1, [x20, #D_SCTLR2]
	msr	sctlr_el2, x1
	isb
	b	restore

vhe:
	ldr	x1, [x20, #D_MAIR]
	msr	mair_el2, x1
	ldr	x1, [x20, #D_TCR1]
	bfi	x1, x19, #32, #3
	msr	tcr_el2, x1
	ldr	x1, [x20, #D_TTBR1]
	msr	ttbr0_el2, x1
	add	x1, x20, #VECTORS
	msr	vbar_el2, x1
	mov	x1, #(3 << 20)		/* CPTR_EL2 in the CPACR layout: FPEN */
	msr	cptr_el2, x1
	isb
	tlbi	alle2
	dsb	nsh
	isb
	ldr	x1, [x20, #D_SCTLR1]
	msr	sctlr_el2, x1
	isb

restore:
	ldr	x1, [x20, #D_SP]
	mov	sp, x1
	ldr	x1, [x20, #D_NZCV]
	msr	nzcv, x1
	add	x0, x20, #D_REGS
	ldp	x1, x2, [x0, #0x00]
	ldp	x3, x4, [x0, #0x10]
	ldp	x5, x6, [x0, #0x20]
	ldp	x7, x8, [x0, #0x30]
	ldp	x9, x10, [x0, #0x40]
	ldp	x11, x12, [x0, #0x50]
	ldp	x13, x14, [x0, #0x60]
	ldp	x15, x16, [x0, #0x70]
	ldp	x17, x18, [x0, #0x80]
	ldp	x19, x20, [x0, #0x90]
	ldp	x21, x22, [x0, #0xa0]
	ldp	x23, x24, [x0, #0xb0]
	ldp	x25, x26, [x0, #0xc0]
	ldp	x27, x28, [x0, #0xd0]
	ldp	x29, x30, [x0, #0xe0]
	mov	x0, #0			/* EFI_SUCCESS */
	ret				/* from ExitBootServices, into the payload */

unsupported:				/* EL3: not a place a UEFI payload runs */
	wfe
	b	unsupported

	/* Exceptions before the kernel installs its own vectors: stop here, visibly (a debugger, QEMU -d int). */
	.balign	0x800
vectors:
	.rept	16
	.balign	0x80
1:	wfe
	b	1b
	.endr
