package dev.efiemu.engine.unicorn;

import dev.efiemu.cpu.Arch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Assembles test guest code with the real toolchain (clang's integrated assembler, then objcopy
 * to flat binary), so tests read as assembly instead of hand-encoded bytes. Code is position
 * dependent only where the test says so ({@code .org}-free, linked at 0).
 */
public final class Asm {
    private Asm() {}

    public static byte[] assemble(Arch arch, String source) {
        try {
            Path dir = Files.createTempDirectory("efiemu-asm");
            try {
                Path s = dir.resolve("t.s");
                Path o = dir.resolve("t.o");
                String header = arch == Arch.X86_64 ? ".intel_syntax noprefix\n.code64\n" : "";
                Files.writeString(s, header + ".text\n" + source + "\n");
                String target = arch == Arch.X86_64 ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
                run(List.of("clang", "--target=" + target, "-c", s.toString(), "-o", o.toString()));
                return textSection(Files.readAllBytes(o));
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("assembler failed: " + e.getMessage(), e);
        }
    }

    /** The bytes of ".text" in an ELF64 relocatable object (the assembler output). */
    static byte[] textSection(byte[] elf) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shentsize = b.getShort(0x3a) & 0xffff;
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        long strOff = b.getLong((int) (shoff + (long) shstrndx * shentsize) + 0x18);
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            int nameOff = (int) (strOff + b.getInt(sh));
            int end = nameOff;
            while (elf[end] != 0) end++;
            if (new String(elf, nameOff, end - nameOff).equals(".text")) {
                int off = (int) b.getLong(sh + 0x18);
                int size = (int) b.getLong(sh + 0x20);
                return java.util.Arrays.copyOfRange(elf, off, off + size);
            }
        }
        throw new IllegalStateException("no .text in assembler output");
    }

    private static void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
    }
}
