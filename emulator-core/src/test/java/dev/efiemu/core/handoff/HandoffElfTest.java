package dev.efiemu.core.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.TestApps;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The x86_64 hand-off ELF as QEMU reads it for a PVH boot: the XEN_ELFNOTE_PHYS32_ENTRY note (Xen's
 * public/elfnote.h, type 18, an 8-byte physical address) names the trampoline's 32-bit entry, and
 * the PT_LOAD segment that holds that address carries the trampoline's code there. The note is
 * read with readelf, the segments with a few lines of ELF64 parsing.
 */
class HandoffElfTest {
    @TempDir
    Path tmp;

    @Test
    void pvhNoteEntryIsTheTrampolinesEntry32() throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/memory.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            RunOutcome o = fw.runPayload(app, "memory.efi", null, 0, DevicePath.filePath("\\memory.efi"));
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, o.kind(), o.message());
            Handoff h = Handoff.capture(fw.memory(), fw.tables(), fw.trampoline(), o.handoff(), 0, 0);
            long entry32 = fw.trampoline().base() + Trampoline.ENTRY32;
            assertEquals(entry32, h.entry32());
            assertEquals(fw.trampoline().base() + Trampoline.ENTRY64, h.entry64());
            assertTrue(entry32 != h.entry64());

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            HandoffElf.write(h, out);
            Path elf = Files.write(tmp.resolve("handoff.elf"), out.toByteArray());
            assertEquals(entry32, readelfPvhEntry(elf), "the PVH note's entry");

            ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(62, b.getShort(18), "EM_X86_64");
            assertEquals(entry32, b.getLong(24), "e_entry");
            byte[] code = Trampoline.code();
            byte[] at = loadedBytes(b, entry32, code.length);
            assertArrayEquals(code, at, "the trampoline's code at the note's entry in the loaded image");
            byte[] entry64Code = loadedBytes(b, h.entry64(), 16);
            assertArrayEquals(Arrays.copyOfRange(code, Trampoline.ENTRY64, Trampoline.ENTRY64 + 16), entry64Code);
            assertSegmentsAreTheHandoffs(b, h);
        }
    }

    /**
     * One PT_LOAD per hand-off segment, in order: physical and virtual address, sizes, page-aligned
     * file offsets, and the segment's bytes at that offset; the file ends with the last page.
     */
    static void assertSegmentsAreTheHandoffs(ByteBuffer b, Handoff h) {
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54), phnum = b.getShort(56);
        assertEquals(64, phoff, "e_phoff");
        assertEquals(56, phentsize);
        assertEquals(h.segments().size() + 1, phnum, "one PT_NOTE and a PT_LOAD per segment");
        int seg = 0;
        long end = 0;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != 1) continue;
            Handoff.Segment s = h.segments().get(seg++);
            long off = b.getLong(ph + 8);
            assertEquals(0, off % 4096, "segment " + seg + " starts on a page of the file");
            assertEquals(s.address(), b.getLong(ph + 16), "p_vaddr");
            assertEquals(s.address(), b.getLong(ph + 24), "p_paddr");
            assertEquals(s.bytes().length, b.getLong(ph + 32), "p_filesz");
            assertEquals(s.size(), b.getLong(ph + 40), "p_memsz: the data and its zero-filled tail");
            byte[] inFile = new byte[s.bytes().length];
            b.get(Math.toIntExact(off), inFile);
            assertArrayEquals(s.bytes(), inFile, String.format("the bytes of the segment at 0x%x", s.address()));
            assertTrue(off >= end, "segments do not overlap in the file");
            end = off + s.bytes().length;
        }
        assertEquals(h.segments().size(), seg);
        assertEquals((end + 4095) & -4096L, b.capacity(), "the file ends with the last segment's page");
    }

    /** The descriptor of the "Xen" note of type 0x12 as readelf -n prints it, as a little-endian u64. */
    static long readelfPvhEntry(Path elf) throws Exception {
        Process p = new ProcessBuilder("readelf", "-nW", elf.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("Xen\\s+0x00000008\\s+[^\\n]*?\\(0x00000012\\)\\s*description data: ((?:[0-9a-f]{2} ?){8})").matcher(out);
        assertTrue(m.find(), "a Xen note of type 0x12 with 8 bytes of description:\n" + out);
        String[] hex = m.group(1).trim().split(" ");
        long v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | Integer.parseInt(hex[i], 16);
        return v;
    }

    /** {@code n} bytes at physical address {@code addr} from the PT_LOAD segment that holds them. */
    static byte[] loadedBytes(ByteBuffer b, long addr, int n) {
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54), phnum = b.getShort(56);
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != 1) continue; // PT_LOAD
            long off = b.getLong(ph + 8), paddr = b.getLong(ph + 24), filesz = b.getLong(ph + 32);
            if (addr >= paddr && addr + n <= paddr + filesz) {
                byte[] r = new byte[n];
                b.get((int) (off + addr - paddr), r);
                return r;
            }
        }
        throw new AssertionError(String.format("no PT_LOAD holds 0x%x", addr));
    }
}
