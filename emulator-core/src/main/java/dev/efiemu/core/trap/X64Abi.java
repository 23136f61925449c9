package dev.efiemu.core.trap;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.X86Reg;

/** Microsoft x64 calling convention (UEFI spec §2.3.4.2): RCX, RDX, R8, R9, then the stack above a 32-byte shadow area. */
final class X64Abi implements Abi {
    // movabs rax, 0x8000000000000003 ; ret ; int3 x5
    private static final byte[] STUB = {
        0x48, (byte) 0xb8, 0x03, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xc3,
        (byte) 0xcc, (byte) 0xcc, (byte) 0xcc, (byte) 0xcc, (byte) 0xcc,
    };
    private static final X86Reg[] SAVED = {
        X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI, X86Reg.RBP, X86Reg.RSP,
        X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15,
        X86Reg.RIP, X86Reg.RFLAGS,
    };

    @Override
    public Arch arch() {
        return Arch.X86_64;
    }

    @Override
    public byte[] stubCode() {
        return STUB.clone();
    }

    @Override
    public long arg(Cpu cpu, int i) {
        if (i < 4) return cpu.reg(X86Reg.ARGS[i]);
        // At entry [RSP] is the return address, then 32 bytes of shadow space, then arguments 5...
        return cpu.readU64(cpu.reg(X86Reg.RSP) + 0x28 + 8L * (i - 4));
    }

    @Override
    public void returnFromStub(Cpu cpu, long status) {
        long rsp = cpu.reg(X86Reg.RSP);
        cpu.reg(X86Reg.RIP, cpu.readU64(rsp));
        cpu.reg(X86Reg.RSP, rsp + 8);
        cpu.reg(X86Reg.RAX, status);
    }

    @Override
    public long returnAddress(Cpu cpu) {
        return cpu.readU64(cpu.reg(X86Reg.RSP));
    }

    @Override
    public long[] saveRegisters(Cpu cpu) {
        long[] v = new long[SAVED.length];
        for (int i = 0; i < SAVED.length; i++) v[i] = cpu.reg(SAVED[i]);
        return v;
    }

    @Override
    public void restoreRegisters(Cpu cpu, long[] saved) {
        for (int i = 0; i < SAVED.length; i++) cpu.reg(SAVED[i], saved[i]);
    }

    @Override
    public long prepareCall(Cpu cpu, long function, long returnTo, long... args) {
        int stackArgs = Math.max(0, args.length - 4);
        // Leave a red zone below the interrupted frame, keep 16-byte alignment at the call site.
        long base = ((cpu.reg(X86Reg.RSP) - 0x200) & ~0xfL) - ((8L * stackArgs + 15) & ~15L) - 0x20;
        for (int i = 4; i < args.length; i++) cpu.writeU64(base + 0x20 + 8L * (i - 4), args[i]);
        long rsp = base - 8;
        cpu.writeU64(rsp, returnTo);
        cpu.reg(X86Reg.RSP, rsp);
        for (int i = 0; i < Math.min(4, args.length); i++) cpu.reg(X86Reg.ARGS[i], args[i]);
        cpu.reg(X86Reg.RIP, function);
        return function;
    }

    @Override
    public long result(Cpu cpu) {
        return cpu.reg(X86Reg.RAX);
    }

    @Override
    public long pc(Cpu cpu) {
        return cpu.reg(X86Reg.RIP);
    }

    @Override
    public long sp(Cpu cpu) {
        return cpu.reg(X86Reg.RSP);
    }
}
