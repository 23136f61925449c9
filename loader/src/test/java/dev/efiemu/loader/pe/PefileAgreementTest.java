package dev.efiemu.loader.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.fixtures.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PeImage reads the same headers as an independent PE parser: python3-pefile (Debian's package,
 * installed by scripts/setup.sh) over the real payloads — the COFF file header, the optional
 * header's fields (image base, entry, alignments, sizes, CheckSum, subsystem, DllCharacteristics
 * and NX_COMPAT), every data directory and every section header with its r/w/x permissions (PE/COFF
 * spec §3.3, §3.4, §4.1). The permissions, and the long section names GNU tools put in the COFF
 * string table ("/4" → ".eh_frame"), are derived by the script from the raw bytes, not by PeImage's code.
 */
class PefileAgreementTest {
    private static final String SCRIPT = """
            import sys, pefile
            for f in sys.argv[1:]:
                p = pefile.PE(f, fast_load=True)
                fh, oh = p.FILE_HEADER, p.OPTIONAL_HEADER
                print(f"{f} header machine={fh.Machine:#x} sections={fh.NumberOfSections} stamp={fh.TimeDateStamp} characteristics={fh.Characteristics:#x}")
                print(f"{f} optional base={oh.ImageBase:#x} entry={oh.AddressOfEntryPoint:#x} salign={oh.SectionAlignment:#x} falign={oh.FileAlignment:#x}"
                      f" image={oh.SizeOfImage:#x} headers={oh.SizeOfHeaders:#x} checksum={oh.CheckSum:#x} subsystem={oh.Subsystem}"
                      f" dll={oh.DllCharacteristics:#x} nx={bool(oh.DllCharacteristics & 0x100)}")
                for i, d in enumerate(oh.DATA_DIRECTORY):
                    print(f"{f} directory {i} {d.VirtualAddress:#x}+{d.Size:#x}")
                for s in p.sections:
                    c = s.Characteristics
                    perm = ("r" if c & 0x40000000 else "-") + ("w" if c & 0x80000000 else "-") + ("x" if c & 0x20000000 else "-")
                    name = s.Name.rstrip(b"\\0").decode("latin-1")
                    if name.startswith("/") and name[1:].isdigit():  # a long name: its offset in the COFF string table (§4.1)
                        at = fh.PointerToSymbolTable + fh.NumberOfSymbols * 18 + int(name[1:])
                        name = p.__data__[at:p.__data__.find(b"\\0", at)].decode("latin-1")
                    print(f"{f} section {name} va={s.VirtualAddress:#x} vsize={s.Misc_VirtualSize:#x} raw={s.PointerToRawData:#x}+{s.SizeOfRawData:#x}"
                          f" flags={c:#x} {perm}")
            """;

    /** The same lines from PeImage. */
    static List<String> ours(Path file) {
        PeImage pe = PeImage.parse(file);
        String f = file.toString();
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%s header machine=%#x sections=%d stamp=%d characteristics=%#x", f, pe.machine(),
                pe.numberOfSections(), pe.timeDateStamp(), pe.characteristics()));
        out.add(String.format(Locale.ROOT, "%s optional base=%#x entry=%#x salign=%#x falign=%#x image=%#x headers=%#x checksum=%#x subsystem=%d"
                        + " dll=%#x nx=%s", f, pe.imageBase(), pe.entryPointRva(), pe.sectionAlignment(), pe.fileAlignment(), pe.sizeOfImage(),
                pe.sizeOfHeaders(), pe.checkSum(), pe.subsystem(), pe.dllCharacteristics(), pe.nxCompat() ? "True" : "False"));
        for (DataDirectory d : pe.dataDirectories()) {
            out.add(String.format(Locale.ROOT, "%s directory %d %#x+%#x", f, d.index(), d.address(), d.size()));
        }
        for (SectionHeader s : pe.sections()) {
            out.add(String.format(Locale.ROOT, "%s section %s va=%#x vsize=%#x raw=%#x+%#x flags=%#x %s", f, s.name(), s.virtualAddress(),
                    s.virtualSize(), s.pointerToRawData(), s.sizeOfRawData(), s.characteristics(), s.permissions()));
        }
        return out;
    }

    @Test
    void headersDirectoriesAndSectionsAsPefileReadsThem() throws IOException, InterruptedException {
        Fixtures fx = Fixtures.cache().requireFetched();
        List<Path> files = List.of(fx.systemdStub(), fx.systemdBoot(), fx.cloudKernel(), fx.shim(), fx.grub(), fx.memtest(), fx.refind(),
                fx.signedUki(), fx.arm64Image(), fx.arm64SystemdStub());
        List<String> args = new ArrayList<>(List.of("/usr/bin/python3", "-c", SCRIPT));
        for (Path p : files) args.add(p.toString());
        Process proc = new ProcessBuilder(args).redirectErrorStream(true).start();
        String text = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, proc.waitFor(), "python3-pefile (scripts/setup.sh installs it): " + text);
        Map<String, List<String>> theirs = new LinkedHashMap<>();
        for (String line : text.strip().split("\n")) theirs.computeIfAbsent(line.substring(0, line.indexOf(' ')), k -> new ArrayList<>()).add(line);
        for (Path p : files) {
            List<String> t = theirs.getOrDefault(p.toString(), List.of());
            assertEquals(String.join("\n", t), String.join("\n", ours(p)), p.getFileName().toString());
        }
    }
}
