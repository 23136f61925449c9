package dev.efiemu.loader.pe;

import java.util.Locale;

/** One section table entry (PE/COFF spec §4, 40 bytes each). */
public record SectionHeader(
        int index,
        String name,
        long virtualSize,
        long virtualAddress,
        long sizeOfRawData,
        long pointerToRawData,
        long characteristics) {

    /** Section characteristics flags (PE/COFF spec §4.1). */
    public static final long CNT_CODE = 0x20, CNT_INITIALIZED_DATA = 0x40, CNT_UNINITIALIZED_DATA = 0x80,
            MEM_DISCARDABLE = 0x02000000L, MEM_EXECUTE = 0x20000000L, MEM_READ = 0x40000000L, MEM_WRITE = 0x80000000L;

    /** Bytes the section occupies in memory: VirtualSize, or SizeOfRawData when VirtualSize is 0. */
    public long memorySize() {
        return virtualSize != 0 ? virtualSize : sizeOfRawData;
    }

    /** Bytes copied from the file when mapping: the raw data, cut at the memory size. */
    public long loadedFileSize() {
        return Math.min(sizeOfRawData, memorySize());
    }

    public boolean executable() {
        return (characteristics & MEM_EXECUTE) != 0;
    }

    public boolean writable() {
        return (characteristics & MEM_WRITE) != 0;
    }

    /** "rwx"-style permission string from the MEM_* flags. */
    public String permissions() {
        return ((characteristics & MEM_READ) != 0 ? "r" : "-") + (writable() ? "w" : "-") + (executable() ? "x" : "-");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%-8s va=0x%08x vsize=0x%08x raw=0x%08x+0x%08x flags=0x%08x",
                name, virtualAddress, virtualSize, pointerToRawData, sizeOfRawData, characteristics);
    }
}
