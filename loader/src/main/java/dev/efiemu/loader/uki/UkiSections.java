package dev.efiemu.loader.uki;

import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The section map of a Unified Kernel Image (UAPI.5 "Unified Kernel Image" / systemd-stub(7)):
 * a PE stub with the payload in named sections. systemd-stub reads each section's first
 * VirtualSize bytes from the loaded image.
 */
public final class UkiSections {
    /** Sections the UKI specification defines, in systemd-stub's measurement order. */
    public static final List<String> KNOWN = List.of(".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb",
            ".uname", ".sbat", ".pcrsig", ".pcrpkey", ".profile");
    private static final Set<String> KNOWN_SET = Set.copyOf(KNOWN);

    /** One section: VMA = ImageBase + RVA. */
    public record Section(String name, boolean known, long vma, long rva, long virtualSize, long fileOffset, long fileSize) {}

    private final PeImage pe;
    private final List<Section> sections;

    private UkiSections(PeImage pe) {
        this.pe = pe;
        List<Section> list = new ArrayList<>();
        for (SectionHeader s : pe.sections()) {
            list.add(new Section(s.name(), KNOWN_SET.contains(s.name()), pe.imageBase() + s.virtualAddress(), s.virtualAddress(),
                    s.virtualSize(), s.pointerToRawData(), s.sizeOfRawData()));
        }
        sections = Collections.unmodifiableList(list);
    }

    /** A PE is a UKI when it carries a .linux section. */
    public static boolean isUki(PeImage pe) {
        return pe.section(".linux").isPresent();
    }

    public static UkiSections of(PeImage pe) {
        return new UkiSections(pe);
    }

    /** All sections, UKI and stub, in section-table order. */
    public List<Section> sections() {
        return sections;
    }

    /** The bytes systemd-stub sees for a section: its VirtualSize from the loaded image. */
    public Optional<byte[]> content(String name) {
        return pe.section(name).map(pe::sectionData);
    }

    /** A section's file-backed bytes: min(VirtualSize, SizeOfRawData); what follows in memory is zero. */
    public Optional<byte[]> fileContent(String name) {
        return pe.section(name).map(pe::sectionFileData);
    }

    public Optional<String> text(String name) {
        return fileContent(name).map(b -> {
            int n = b.length;
            while (n > 0 && b[n - 1] == 0) n--;
            return new String(b, 0, n, StandardCharsets.UTF_8);
        });
    }

    public Map<String, String> osRelease() {
        return text(".osrel").map(OsRelease::parse).orElse(Map.of());
    }

    public Optional<String> cmdline() {
        return text(".cmdline").map(String::strip);
    }

    public Optional<String> uname() {
        return text(".uname").map(String::strip);
    }
}
