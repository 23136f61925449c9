package dev.efiemu.engine.unicorn;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Arm64Reg;
import dev.efiemu.cpu.Reg;
import dev.efiemu.cpu.RunResult;
import dev.efiemu.cpu.X86Reg;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Grows the engine's software TLB. QEMU's TLB starts at 256 entries and resizes
 * only on a full flush, according to how many entries were used since the last one; touching many
 * pages and flushing, a few times over, takes it to its largest size so buffers a megabyte apart
 * stop evicting each other.
 */
final class TlbWarmUp {
    static final int ROUNDS = 7;

    private TlbWarmUp() {}

    // x86_64:  loop: mov al,[rsi] ; add rsi,0x1000 ; dec rcx ; jnz loop
    private static final byte[] X86 = {
        (byte) 0x8a, 0x06,
        0x48, (byte) 0x81, (byte) 0xc6, 0x00, 0x10, 0x00, 0x00,
        0x48, (byte) 0xff, (byte) 0xc9,
        0x75, (byte) 0xf2,
    };

    // aarch64: loop: ldrb w2,[x0] ; add x0,x0,#0x400 ; subs x1,x1,#1 ; b.ne loop
    // (Unicorn's aarch64 target uses 1 KiB pages: touch every one of them.)
    private static final int[] ARM64 = {0x39400002, 0x91100000, 0xf1000421, 0x54ffffa1};

    static void run(UnicornCpu cpu, long codePage, long dataBase, int pages) {
        boolean x86 = cpu.arch() == Arch.X86_64;
        Reg[] saved = x86
                ? new Reg[] {X86Reg.RAX, X86Reg.RCX, X86Reg.RSI, X86Reg.RIP, X86Reg.RFLAGS}
                : new Reg[] {Arm64Reg.X0, Arm64Reg.X1, Arm64Reg.X2, Arm64Reg.PC, Arm64Reg.NZCV};
        long[] values = new long[saved.length];
        for (int i = 0; i < saved.length; i++) values[i] = cpu.reg(saved[i]);
        byte[] old = cpu.read(codePage, 16);
        byte[] code = x86 ? X86 : arm64Code();
        cpu.write(codePage, code);
        cpu.flushTranslations();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                cpu.reg(x86 ? X86Reg.RSI : Arm64Reg.X0, dataBase);
                cpu.reg(x86 ? X86Reg.RCX : Arm64Reg.X1, x86 ? pages : pages * 4L);
                RunResult r = cpu.run(codePage, codePage + code.length);
                if (r.kind() != RunResult.Kind.UNTIL) {
                    throw new IllegalStateException("TLB warm-up loop ended with " + r);
                }
                cpu.flushTlb();
            }
        } finally {
            cpu.write(codePage, old);
            cpu.flushTranslations();
            for (int i = 0; i < saved.length; i++) cpu.reg(saved[i], values[i]);
        }
    }

    private static byte[] arm64Code() {
        ByteBuffer b = ByteBuffer.allocate(ARM64.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : ARM64) b.putInt(w);
        return b.array();
    }
}
