package dev.efiemu.core.trap;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Cpu;

/** AAPCS64 (UEFI spec §2.3.6): X0..X7, then the stack; result in X0; return through X30. */
final class Aarch64Abi implements Abi {
    // movz x0, #3 ; movk x0, #0x8000, lsl #48 ; ret ; brk #0
    private static final int[] STUB = {0xd2800060, 0xf2f00000, 0xd65f03c0, 0xd4200000};

    @Override
    public Arch arch() {
        return Arch.AARCH64;
    }

    @Override
    public byte[] stubCode() {
        var b = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int w : STUB) b.putInt(w);
        return b.array();
    }

    @Override
    public long arg(Cpu cpu, int i) {
        if (i < 8) return cpu.reg(Arm64Reg.ARGS[i]);
        return cpu.readU64(cpu.reg(Arm64Reg.SP) + 8L * (i - 8));
    }

    @Override
    public void returnFromStub(Cpu cpu, long status) {
        cpu.reg(Arm64Reg.X0, status);
        cpu.reg(Arm64Reg.PC, cpu.reg(Arm64Reg.X30));
    }

    @Override
    public long returnAddress(Cpu cpu) {
        return cpu.reg(Arm64Reg.X30);
    }

    @Override
    public long[] saveRegisters(Cpu cpu) {
        long[] v = new long[34];
        for (int i = 0; i <= 30; i++) v[i] = cpu.reg(Arm64Reg.x(i));
        v[31] = cpu.reg(Arm64Reg.SP);
        v[32] = cpu.reg(Arm64Reg.PC);
        v[33] = cpu.reg(Arm64Reg.NZCV);
        return v;
    }

    @Override
    public void restoreRegisters(Cpu cpu, long[] v) {
        for (int i = 0; i <= 30; i++) cpu.reg(Arm64Reg.x(i), v[i]);
        cpu.reg(Arm64Reg.SP, v[31]);
        cpu.reg(Arm64Reg.PC, v[32]);
        cpu.reg(Arm64Reg.NZCV, v[33]);
    }

    @Override
    public long prepareCall(Cpu cpu, long function, long returnTo, long... args) {
        int stackArgs = Math.max(0, args.length - 8);
        long sp = ((cpu.reg(Arm64Reg.SP) - 0x200) & ~0xfL) - ((8L * stackArgs + 15) & ~15L);
        for (int i = 8; i < args.length; i++) cpu.writeU64(sp + 8L * (i - 8), args[i]);
        cpu.reg(Arm64Reg.SP, sp);
        for (int i = 0; i < Math.min(8, args.length); i++) cpu.reg(Arm64Reg.ARGS[i], args[i]);
        cpu.reg(Arm64Reg.X30, returnTo);
        cpu.reg(Arm64Reg.PC, function);
        return function;
    }

    @Override
    public long result(Cpu cpu) {
        return cpu.reg(Arm64Reg.X0);
    }

    @Override
    public long pc(Cpu cpu) {
        return cpu.reg(Arm64Reg.PC);
    }

    @Override
    public long sp(Cpu cpu) {
        return cpu.reg(Arm64Reg.SP);
    }
}
