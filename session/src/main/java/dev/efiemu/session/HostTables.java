package dev.efiemu.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the host's firmware tables are, for a hand-off that runs on this machine: the ACPI 2.0 RSDP
 * and the SMBIOS entry point. An EFI-booted host lists them in /sys/firmware/efi/systab (from its
 * EFI configuration tables); on a BIOS-booted host they are 0 and the trampoline scans the BIOS
 * area (0xE0000-0xFFFFF) for them at entry, where BIOS puts them. Only the SMBIOS 2.x entry point is
 * passed on (the configuration-table slot efiemu reserves is SMBIOS_TABLE_GUID's).
 *
 * @param acpi20 physical address of the RSDP, or 0 to scan
 * @param smbios physical address of the SMBIOS entry point, or 0 to scan
 */
public record HostTables(long acpi20, long smbios) {
    /** For a hand-off booted elsewhere (QEMU): the trampoline finds the tables itself. */
    public static HostTables none() {
        return new HostTables(0, 0);
    }

    /** This host's, from /sys/firmware/efi/systab; {@link #none} on a host that was not booted through EFI. */
    public static HostTables ofThisHost() {
        return parseSystab(Path.of("/sys/firmware/efi/systab"));
    }

    static HostTables parseSystab(Path systab) {
        long acpi = 0, smbios = 0;
        try {
            for (String line : Files.readAllLines(systab)) {
                int eq = line.indexOf('=');
                if (eq < 0) continue;
                String key = line.substring(0, eq).strip();
                long v = Long.decode(line.substring(eq + 1).strip());
                switch (key) {
                    case "ACPI20" -> acpi = v;
                    case "SMBIOS" -> smbios = v;
                    default -> { }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return none();
        }
        return new HostTables(acpi, smbios);
    }

    /** "0x..." or how the trampoline will find it. */
    public String describe() {
        return "ACPI 2.0 RSDP " + hex(acpi20) + ", SMBIOS " + hex(smbios);
    }

    private static String hex(long v) {
        return v == 0 ? "unknown (scanned from the BIOS area at entry)" : String.format("0x%x", v);
    }
}
