package dev.efiemu.loader.pe;

import dev.efiemu.loader.Bytes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The base relocation table (.reloc, PE/COFF spec §6.6): blocks of {u32 PageRVA, u32
 * BlockSize, u16 entries[]}, each entry a 4-bit type and a 12-bit offset into the page. Only
 * the types a PE32+ EFI image uses are accepted: ABSOLUTE (0, padding), HIGHLOW (3) and DIR64
 * (10); anything else is an error naming type and RVA. Every target is checked at parse time.
 */
public final class BaseRelocations {
    public static final int ABSOLUTE = 0, HIGHLOW = 3, DIR64 = 10;

    /** One block: the page RVA and its raw 16-bit entries. */
    public record Block(long pageRva, short[] entries) {}

    private final List<Block> blocks;
    private final int count;

    private BaseRelocations(List<Block> blocks, int count) {
        this.blocks = blocks;
        this.count = count;
    }

    static BaseRelocations parse(PeImage pe) {
        DataDirectory dir = pe.dataDirectory(DataDirectory.BASERELOC);
        if (!dir.present()) return new BaseRelocations(List.of(), 0);
        // Bytes past the file-backed part read as zero, which ends the table: do not allocate them.
        byte[] table = pe.readRvaBacked(dir.address(), dir.size());
        List<Block> blocks = new ArrayList<>();
        int count = 0;
        long pos = 0;
        while (pos + 8 <= table.length) {
            long page = Bytes.u32(table, pos, "relocation block");
            long blockSize = Bytes.u32(table, pos + 4, "relocation block");
            long at = dir.address() + pos;
            if (blockSize == 0 && page == 0) break; // zero padding after the last block
            if (blockSize < 8 || (blockSize & 1) != 0) {
                throw new PeFormatException(String.format("relocation block at RVA 0x%x has bad size %d", at, blockSize));
            }
            if (pos + blockSize > dir.size()) {
                throw new PeFormatException(String.format("relocation block at RVA 0x%x (size 0x%x) extends beyond the relocation directory (0x%x bytes)",
                        at, blockSize, dir.size()));
            }
            if (pos + blockSize > table.length) {
                throw new PeFormatException(String.format("relocation block at RVA 0x%x (size 0x%x) runs into the zero-filled part of the image",
                        at, blockSize));
            }
            short[] entries = new short[(int) (blockSize - 8) / 2];
            for (int i = 0; i < entries.length; i++) {
                int e = Bytes.u16(table, pos + 8 + 2L * i, "relocation entry");
                entries[i] = (short) e;
                int type = e >>> 12;
                long target = page + (e & 0xfff);
                int width = switch (type) {
                    case ABSOLUTE -> 0;
                    case HIGHLOW -> 4;
                    case DIR64 -> 8;
                    default -> throw new PeFormatException(String.format(
                            "unsupported base relocation type %d (%s) for RVA 0x%x (entry at RVA 0x%x)",
                            type, typeName(type), target, at + 8 + 2L * i));
                };
                if (width > 0 && target + width > pe.sizeOfImage()) {
                    throw new PeFormatException(String.format(
                            "base relocation (type %d) for RVA 0x%x lies outside SizeOfImage 0x%x (entry at RVA 0x%x)",
                            type, target, pe.sizeOfImage(), at + 8 + 2L * i));
                }
                if (width > 0) count++;
            }
            blocks.add(new Block(page, entries));
            pos += blockSize;
        }
        return new BaseRelocations(Collections.unmodifiableList(blocks), count);
    }

    /** Adds {@code delta} to every target in a mapped image (targets were bounds-checked at parse time). */
    public void apply(byte[] image, long delta) {
        for (Block b : blocks) {
            for (short raw : b.entries()) {
                int e = raw & 0xffff;
                int off = (int) (b.pageRva() + (e & 0xfff));
                switch (e >>> 12) {
                    case HIGHLOW -> Bytes.putU32(image, off, Bytes.u32(image, off, "relocation target") + delta);
                    case DIR64 -> Bytes.putU64(image, off, Bytes.u64(image, off, "relocation target") + delta);
                    default -> { }
                }
            }
        }
    }

    public List<Block> blocks() { return blocks; }

    /** Number of entries that change the image (ABSOLUTE padding excluded). */
    public int count() { return count; }

    static String typeName(int type) {
        return switch (type) {
            case 0 -> "ABSOLUTE";
            case 1 -> "HIGH";
            case 2 -> "LOW";
            case 3 -> "HIGHLOW";
            case 4 -> "HIGHADJ";
            case 5 -> "MIPS_JMPADDR/ARM_MOV32/RISCV_HIGH20";
            case 7 -> "THUMB_MOV32/RISCV_LOW12I";
            case 8 -> "RISCV_LOW12S/LOONGARCH";
            case 9 -> "MIPS_JMPADDR16";
            case 10 -> "DIR64";
            default -> "reserved";
        };
    }
}
