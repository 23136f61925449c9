package dev.efiemu.loader.pe;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A parsed PE32+ image for x86_64 or aarch64 (Microsoft PE/COFF specification, rev. 11+):
 * MS-DOS stub (§2), signature, COFF file header (§3.3), PE32+ optional header (§3.4), data
 * directories (§3.4.3) and section table (§4). Parsing validates every offset; {@link #mapImage}
 * lays the image out in memory and applies base relocations (§6.6).
 *
 * <p>Immutable; the file bytes are kept (not copied), so callers must not change the array.
 */
public final class PeImage {
    public static final int MACHINE_X86_64 = 0x8664;
    public static final int MACHINE_AARCH64 = 0xaa64;
    public static final int MAGIC_PE32 = 0x10b;
    public static final int MAGIC_PE32_PLUS = 0x20b;
    /** COFF characteristics (§3.3.2). */
    public static final int FILE_RELOCS_STRIPPED = 0x0001;
    /** DllCharacteristics (§3.4.2). */
    public static final int DLL_DYNAMIC_BASE = 0x0040, DLL_NX_COMPAT = 0x0100;
    /** Subsystems (§3.4.2). */
    public static final int SUBSYSTEM_EFI_APPLICATION = 10, SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER = 11,
            SUBSYSTEM_EFI_RUNTIME_DRIVER = 12, SUBSYSTEM_EFI_ROM = 13;
    /** The spec (§3.3) limits NumberOfSections to 96. */
    public static final int MAX_SECTIONS = 96;
    /** Largest SizeOfImage accepted: mapImage allocates this much. Real payloads are below 100 MiB. */
    public static final long MAX_IMAGE_SIZE = 1L << 30;
    /** Largest file {@link #parse(Path)} reads. */
    public static final long MAX_FILE_SIZE = 1L << 30;

    private static final int COFF_HEADER_SIZE = 20;
    private static final int SECTION_HEADER_SIZE = 40;
    /** PE32+ optional header: fixed part before the data directories (§3.4.1, §3.4.2). */
    private static final int OPT_FIXED_SIZE_PE32_PLUS = 112;
    private static final int MAX_DATA_DIRECTORIES = 16;

    private final byte[] file;
    private final String source;
    private final long peOffset;
    private final int machine;
    private final int numberOfSections;
    private final long timeDateStamp;
    private final long pointerToSymbolTable;
    private final long numberOfSymbols;
    private final int sizeOfOptionalHeader;
    private final int characteristics;
    private final long optionalHeaderOffset;
    private final long addressOfEntryPoint;
    private final long imageBase;
    private final long sectionAlignment;
    private final long fileAlignment;
    private final long sizeOfImage;
    private final long sizeOfHeaders;
    private final long checkSum;
    private final int subsystem;
    private final int dllCharacteristics;
    private final List<DataDirectory> dataDirectories;
    private final List<SectionHeader> sections;
    private final List<String> warnings;
    private final BaseRelocations relocations;

    private PeImage(byte[] file, String source) {
        this.file = file;
        this.source = source;
        List<String> warn = new ArrayList<>();
        // §2: MS-DOS stub; e_lfanew at 0x3c points to the "PE\0\0" signature.
        if (file.length < 0x40) throw err("file is %d bytes, too short for an MS-DOS header (64 bytes)", file.length);
        if (file[0] != 'M' || file[1] != 'Z') throw err("no MZ signature at offset 0 (found 0x%02x%02x)", file[0] & 0xff, file[1] & 0xff);
        peOffset = Bytes.u32(file, 0x3c, "e_lfanew");
        if (peOffset + 4 + COFF_HEADER_SIZE > file.length) {
            throw err("PE header offset 0x%x (e_lfanew at 0x3c) lies beyond the end of the file (0x%x bytes)", peOffset, file.length);
        }
        if (!Bytes.startsWith(file, peOffset, new byte[] {'P', 'E', 0, 0})) {
            throw err("no PE\\0\\0 signature at offset 0x%x", peOffset);
        }
        // §3.3: COFF file header.
        long coff = peOffset + 4;
        machine = Bytes.u16(file, coff, "Machine");
        if (machine != MACHINE_X86_64 && machine != MACHINE_AARCH64) {
            throw err("unsupported machine 0x%04x (%s) at offset 0x%x; only x86_64 (0x8664) and aarch64 (0xaa64)",
                    machine, machineName(machine), coff);
        }
        numberOfSections = Bytes.u16(file, coff + 2, "NumberOfSections");
        if (numberOfSections > MAX_SECTIONS) {
            throw err("NumberOfSections %d at offset 0x%x exceeds the spec limit of %d", numberOfSections, coff + 2, MAX_SECTIONS);
        }
        timeDateStamp = Bytes.u32(file, coff + 4, "TimeDateStamp");
        pointerToSymbolTable = Bytes.u32(file, coff + 8, "PointerToSymbolTable");
        numberOfSymbols = Bytes.u32(file, coff + 12, "NumberOfSymbols");
        sizeOfOptionalHeader = Bytes.u16(file, coff + 16, "SizeOfOptionalHeader");
        characteristics = Bytes.u16(file, coff + 18, "Characteristics");

        // §3.4: optional header, PE32+ only.
        optionalHeaderOffset = coff + COFF_HEADER_SIZE;
        long opt = optionalHeaderOffset;
        if (sizeOfOptionalHeader < 2) throw err("SizeOfOptionalHeader %d at offset 0x%x: no optional header", sizeOfOptionalHeader, coff + 16);
        if (opt + sizeOfOptionalHeader > file.length) {
            throw err("optional header at offset 0x%x (0x%x bytes) extends beyond the end of the file (0x%x bytes)",
                    opt, sizeOfOptionalHeader, file.length);
        }
        int magic = Bytes.u16(file, opt, "optional header magic");
        if (magic == MAGIC_PE32) throw err("PE32 image (optional header magic 0x10b at offset 0x%x); only PE32+ (0x20b) is supported", opt);
        if (magic != MAGIC_PE32_PLUS) throw err("bad optional header magic 0x%x at offset 0x%x (expected 0x20b)", magic, opt);
        if (sizeOfOptionalHeader < OPT_FIXED_SIZE_PE32_PLUS) {
            throw err("SizeOfOptionalHeader %d at offset 0x%x is smaller than the PE32+ fixed part (112)", sizeOfOptionalHeader, coff + 16);
        }
        addressOfEntryPoint = Bytes.u32(file, opt + 16, "AddressOfEntryPoint");
        imageBase = Bytes.u64(file, opt + 24, "ImageBase");
        sectionAlignment = Bytes.u32(file, opt + 32, "SectionAlignment");
        fileAlignment = Bytes.u32(file, opt + 36, "FileAlignment");
        sizeOfImage = Bytes.u32(file, opt + 56, "SizeOfImage");
        sizeOfHeaders = Bytes.u32(file, opt + 60, "SizeOfHeaders");
        checkSum = Bytes.u32(file, opt + 64, "CheckSum");
        subsystem = Bytes.u16(file, opt + 68, "Subsystem");
        dllCharacteristics = Bytes.u16(file, opt + 70, "DllCharacteristics");
        long nDirs = Bytes.u32(file, opt + 108, "NumberOfRvaAndSizes");
        if (nDirs > MAX_DATA_DIRECTORIES) {
            throw err("NumberOfRvaAndSizes %d at offset 0x%x exceeds %d", nDirs, opt + 108, MAX_DATA_DIRECTORIES);
        }
        if (OPT_FIXED_SIZE_PE32_PLUS + 8 * nDirs > sizeOfOptionalHeader) {
            throw err("%d data directories do not fit in SizeOfOptionalHeader %d", nDirs, sizeOfOptionalHeader);
        }
        if (sectionAlignment == 0 || Long.bitCount(sectionAlignment) != 1) {
            throw err("SectionAlignment 0x%x at offset 0x%x is not a power of two", sectionAlignment, opt + 32);
        }
        if (fileAlignment == 0 || Long.bitCount(fileAlignment) != 1) {
            throw err("FileAlignment 0x%x at offset 0x%x is not a power of two", fileAlignment, opt + 36);
        }
        if (sizeOfImage == 0 || sizeOfImage > MAX_IMAGE_SIZE) {
            throw err("SizeOfImage 0x%x at offset 0x%x is %s", sizeOfImage, opt + 56,
                    sizeOfImage == 0 ? "zero" : "larger than the 1 GiB limit");
        }
        if (sizeOfHeaders > sizeOfImage) throw err("SizeOfHeaders 0x%x exceeds SizeOfImage 0x%x", sizeOfHeaders, sizeOfImage);
        if (sizeOfHeaders > file.length) {
            throw err("SizeOfHeaders 0x%x exceeds the file size 0x%x (truncated file?)", sizeOfHeaders, file.length);
        }
        if (addressOfEntryPoint >= sizeOfImage) {
            throw err("AddressOfEntryPoint 0x%x at offset 0x%x lies outside SizeOfImage 0x%x", addressOfEntryPoint, opt + 16, sizeOfImage);
        }
        List<DataDirectory> dirs = new ArrayList<>();
        for (int i = 0; i < nDirs; i++) {
            long at = opt + OPT_FIXED_SIZE_PE32_PLUS + 8L * i;
            DataDirectory d = new DataDirectory(i, Bytes.u32(file, at, "data directory"), Bytes.u32(file, at + 4, "data directory"));
            dirs.add(d);
            if (d.present() && i != DataDirectory.SECURITY && d.address() + d.size() > sizeOfImage) {
                if (i == DataDirectory.BASERELOC) {
                    throw err("base relocation directory RVA 0x%x size 0x%x lies outside SizeOfImage 0x%x", d.address(), d.size(), sizeOfImage);
                }
                warn.add(String.format("data directory %d (RVA 0x%x size 0x%x) lies outside SizeOfImage", i, d.address(), d.size()));
            }
            if (d.present() && i == DataDirectory.SECURITY && d.address() + d.size() > file.length) {
                warn.add(String.format("certificate table (offset 0x%x size 0x%x) extends beyond the end of the file (0x%x)",
                        d.address(), d.size(), file.length));
            }
        }
        dataDirectories = Collections.unmodifiableList(dirs);

        // §4: section table follows the optional header.
        long table = opt + sizeOfOptionalHeader;
        if (table + (long) SECTION_HEADER_SIZE * numberOfSections > file.length) {
            throw err("section table at offset 0x%x (%d entries) extends beyond the end of the file (0x%x bytes)",
                    table, numberOfSections, file.length);
        }
        List<SectionHeader> secs = new ArrayList<>();
        for (int i = 0; i < numberOfSections; i++) {
            long at = table + (long) SECTION_HEADER_SIZE * i;
            SectionHeader s = new SectionHeader(i, sectionName(at),
                    Bytes.u32(file, at + 8, "VirtualSize"), Bytes.u32(file, at + 12, "VirtualAddress"),
                    Bytes.u32(file, at + 16, "SizeOfRawData"), Bytes.u32(file, at + 20, "PointerToRawData"),
                    Bytes.u32(file, at + 36, "Characteristics"));
            if (s.virtualAddress() + s.memorySize() > sizeOfImage) {
                throw err("section %d (%s) at RVA 0x%x size 0x%x extends beyond SizeOfImage 0x%x (section header at offset 0x%x)",
                        i, s.name(), s.virtualAddress(), s.memorySize(), sizeOfImage, at);
            }
            if (s.loadedFileSize() > 0 && s.pointerToRawData() + s.loadedFileSize() > file.length) {
                throw err("section %d (%s) raw data at offset 0x%x size 0x%x extends beyond the end of the file (0x%x bytes; truncated?)",
                        i, s.name(), s.pointerToRawData(), s.loadedFileSize(), file.length);
            }
            if (s.sizeOfRawData() > 0 && s.pointerToRawData() + s.sizeOfRawData() > file.length) {
                warn.add(String.format("section %s: file-aligned raw size 0x%x extends beyond the end of the file", s.name(), s.sizeOfRawData()));
            }
            secs.add(s);
        }
        List<SectionHeader> byVa = new ArrayList<>(secs);
        byVa.removeIf(s -> s.memorySize() == 0);
        byVa.sort(Comparator.comparingLong(SectionHeader::virtualAddress));
        for (int i = 1; i < byVa.size(); i++) {
            SectionHeader a = byVa.get(i - 1), b = byVa.get(i);
            if (a.virtualAddress() + a.memorySize() > b.virtualAddress()) {
                throw err("sections %d (%s, RVA 0x%x-0x%x) and %d (%s, RVA 0x%x) overlap", a.index(), a.name(), a.virtualAddress(),
                        a.virtualAddress() + a.memorySize(), b.index(), b.name(), b.virtualAddress());
            }
        }
        sections = Collections.unmodifiableList(secs);
        warnings = Collections.unmodifiableList(warn);
        relocations = BaseRelocations.parse(this);
    }

    /** Parses a PE32+ image held in memory. */
    /**
     * The COFF Machine field (0x8664, 0xaa64) read from the headers alone, without parsing the
     * image; -1 when the file has no PE signature where its DOS header points.
     */
    public static int machineOf(byte[] file) {
        if (file.length < 0x40 || file[0] != 'M' || file[1] != 'Z') return -1;
        long pe = (file[0x3c] & 0xffL) | (file[0x3d] & 0xffL) << 8 | (file[0x3e] & 0xffL) << 16 | (file[0x3f] & 0xffL) << 24;
        if (pe < 0x40 || pe + 6 > file.length) return -1;
        int p = (int) pe;
        if (file[p] != 'P' || file[p + 1] != 'E' || file[p + 2] != 0 || file[p + 3] != 0) return -1;
        return (file[p + 4] & 0xff) | (file[p + 5] & 0xff) << 8;
    }

    public static PeImage parse(byte[] file) {
        return parse(file, null);
    }

    /** Parses a PE32+ image held in memory; {@code source} (a file name) prefixes every error message. */
    public static PeImage parse(byte[] file, String source) {
        try {
            return new PeImage(file, source);
        } catch (PeFormatException e) {
            throw source == null ? e : e.withSource(source);
        } catch (FormatException e) {
            throw source == null ? new PeFormatException(e.getMessage(), e) : new PeFormatException(source + ": " + e.getMessage(), e);
        }
    }

    /** Reads and parses a file; errors (including I/O) name the file. */
    public static PeImage parse(Path path) {
        return parse(readFile(path, MAX_FILE_SIZE), path.toString());
    }

    /** Reads a whole file, refusing files larger than {@code limit}; failures are one-line PeFormatExceptions. */
    public static byte[] readFile(Path path, long limit) {
        try {
            long size = Files.size(path);
            if (size > limit) throw new PeFormatException(path + ": file is " + size + " bytes, larger than the " + limit + "-byte limit");
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new PeFormatException(path + ": cannot read: " + e.getClass().getSimpleName() + (e.getMessage() != null ? " " + e.getMessage() : ""), e);
        }
    }

    /** Section names longer than 8 bytes are "/n", an offset into the COFF string table (§4, Name). */
    private String sectionName(long at) {
        String raw = Bytes.cString(file, at, 8, "section name");
        if (raw.length() > 1 && raw.charAt(0) == '/' && pointerToSymbolTable != 0) {
            try {
                long strtab = pointerToSymbolTable + numberOfSymbols * 18;
                long off = Long.parseLong(raw.substring(1));
                if (strtab + 4 <= file.length && off >= 4 && off < Bytes.u32(file, strtab, "string table") && strtab + off < file.length) {
                    return Bytes.cString(file, strtab + off, 256, "section name");
                }
            } catch (NumberFormatException | FormatException ignored) {
                // Not a string-table reference: keep the raw name.
            }
        }
        return raw;
    }

    private PeFormatException err(String fmt, Object... args) {
        return new PeFormatException(String.format(fmt, args));
    }

    /**
     * The image as loaded at {@code newBase}: SizeOfImage bytes with the headers (SizeOfHeaders)
     * and each section's raw data at its VirtualAddress, the rest zero (BSS), base relocations
     * applied for the difference between {@code newBase} and ImageBase.
     */
    public byte[] mapImage(long newBase) {
        byte[] image = new byte[(int) sizeOfImage];
        System.arraycopy(file, 0, image, 0, (int) sizeOfHeaders);
        for (SectionHeader s : sections) {
            if (s.loadedFileSize() > 0) {
                System.arraycopy(file, (int) s.pointerToRawData(), image, (int) s.virtualAddress(), (int) s.loadedFileSize());
            }
        }
        long delta = newBase - imageBase;
        if (delta != 0) {
            if ((characteristics & FILE_RELOCS_STRIPPED) != 0 && relocations.blocks().isEmpty()) {
                throw source(err("image has no relocations (IMAGE_FILE_RELOCS_STRIPPED) and cannot move from ImageBase 0x%x to 0x%x",
                        imageBase, newBase));
            }
            relocations.apply(image, delta);
        }
        return image;
    }

    private PeFormatException source(PeFormatException e) {
        return source == null ? e : e.withSource(source);
    }

    /**
     * Copies {@code len} bytes of the loaded image starting at {@code rva} without mapping the
     * whole image: bytes not backed by headers or section data read as zero.
     */
    public byte[] readRva(long rva, int len) {
        if (rva < 0 || len < 0 || rva + len > sizeOfImage) {
            throw source(err("RVA range 0x%x+0x%x lies outside SizeOfImage 0x%x", rva, len, sizeOfImage));
        }
        byte[] out = new byte[len];
        copyFrom(0, Math.min(sizeOfHeaders, file.length), 0, rva, out);
        for (SectionHeader s : sections) copyFrom(s.virtualAddress(), s.loadedFileSize(), s.pointerToRawData(), rva, out);
        return out;
    }

    private void copyFrom(long va, long size, long fileOff, long rva, byte[] out) {
        long lo = Math.max(va, rva), hi = Math.min(va + size, rva + out.length);
        if (lo < hi) System.arraycopy(file, (int) (fileOff + lo - va), out, (int) (lo - rva), (int) (hi - lo));
    }

    /**
     * Like {@link #readRva} but stops after the last byte backed by file data in the range
     * (everything after it would read as zero), so a huge range costs no more than the file.
     */
    public byte[] readRvaBacked(long rva, long len) {
        long end = Math.min(rva + len, sizeOfImage);
        long backedEnd = rva;
        if (sizeOfHeaders > rva) backedEnd = Math.max(backedEnd, Math.min(end, sizeOfHeaders));
        for (SectionHeader s : sections) {
            long e = s.virtualAddress() + s.loadedFileSize();
            if (s.loadedFileSize() > 0 && s.virtualAddress() < end && e > rva) backedEnd = Math.max(backedEnd, Math.min(end, e));
        }
        return readRva(rva, (int) (backedEnd - rva));
    }

    /** The section's file-backed contents: its first min(VirtualSize, SizeOfRawData) bytes. */
    public byte[] sectionFileData(SectionHeader s) {
        return Bytes.slice(file, s.pointerToRawData(), s.loadedFileSize(), "section data");
    }

    /** A section's contents as loaded: {@link SectionHeader#memorySize()} bytes, zero past the raw data. */
    public byte[] sectionData(SectionHeader s) {
        return readRva(s.virtualAddress(), (int) s.memorySize());
    }

    /** The section's bytes in the file (SizeOfRawData, cut at the end of the file). */
    public byte[] rawData(SectionHeader s) {
        long end = Math.min(file.length, s.pointerToRawData() + s.sizeOfRawData());
        if (s.pointerToRawData() >= end) return new byte[0];
        return Bytes.slice(file, s.pointerToRawData(), end - s.pointerToRawData(), "section raw data");
    }

    /** The first section with this name. */
    public Optional<SectionHeader> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public static String machineName(int machine) {
        return switch (machine) {
            case MACHINE_X86_64 -> "x86_64";
            case MACHINE_AARCH64 -> "aarch64";
            case 0x14c -> "i386";
            case 0x1c0, 0x1c2, 0x1c4 -> "arm";
            case 0x5064 -> "riscv64";
            case 0x6264 -> "loongarch64";
            case 0x200 -> "ia64";
            case 0xebc -> "ebc";
            default -> "unknown";
        };
    }

    public static String subsystemName(int subsystem) {
        return switch (subsystem) {
            case SUBSYSTEM_EFI_APPLICATION -> "EFI application";
            case SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER -> "EFI boot service driver";
            case SUBSYSTEM_EFI_RUNTIME_DRIVER -> "EFI runtime driver";
            case SUBSYSTEM_EFI_ROM -> "EFI ROM";
            default -> "subsystem " + subsystem;
        };
    }

    /** The whole file; do not modify. */
    public byte[] fileBytes() { return file; }
    /** The file name given at parse time, or null. */
    public String source() { return source; }
    public long peHeaderOffset() { return peOffset; }
    public int machine() { return machine; }
    public String machineName() { return machineName(machine); }
    public int numberOfSections() { return numberOfSections; }
    public long timeDateStamp() { return timeDateStamp; }
    public int characteristics() { return characteristics; }
    public long optionalHeaderOffset() { return optionalHeaderOffset; }
    public long entryPointRva() { return addressOfEntryPoint; }
    public long imageBase() { return imageBase; }
    public long sectionAlignment() { return sectionAlignment; }
    public long fileAlignment() { return fileAlignment; }
    public long sizeOfImage() { return sizeOfImage; }
    public long sizeOfHeaders() { return sizeOfHeaders; }
    public long checkSum() { return checkSum; }
    public int subsystem() { return subsystem; }
    public int dllCharacteristics() { return dllCharacteristics; }
    public boolean nxCompat() { return (dllCharacteristics & DLL_NX_COMPAT) != 0; }
    public List<DataDirectory> dataDirectories() { return dataDirectories; }
    public List<SectionHeader> sections() { return sections; }
    public BaseRelocations relocations() { return relocations; }
    /** Non-fatal oddities found while parsing or mapping. */
    public List<String> warnings() { return warnings; }

    /** A data directory, or an empty one when NumberOfRvaAndSizes does not reach it. */
    public DataDirectory dataDirectory(int index) {
        return index < dataDirectories.size() ? dataDirectories.get(index) : new DataDirectory(index, 0, 0);
    }

    /** The attribute certificate table: file offset and size (§4.7 / Authenticode). */
    public DataDirectory securityDirectory() { return dataDirectory(DataDirectory.SECURITY); }

    /** File offset of the optional header's CheckSum field (excluded from the Authenticode digest). */
    public long checkSumOffset() { return optionalHeaderOffset + 64; }

    /** File offset of the certificate table data directory entry, or -1 if there is none. */
    public long securityDirectoryEntryOffset() {
        return dataDirectories.size() > DataDirectory.SECURITY ? optionalHeaderOffset + OPT_FIXED_SIZE_PE32_PLUS + 8L * DataDirectory.SECURITY : -1;
    }

    /** File offset of the section table. */
    public long sectionTableOffset() { return optionalHeaderOffset + sizeOfOptionalHeader; }

    static String ascii(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }
}
