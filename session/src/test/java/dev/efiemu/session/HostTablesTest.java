package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostTablesTest {
    /** /sys/firmware/efi/systab as an OVMF-booted Linux 6.1 shows it. */
    @Test
    void parsesTheSystab(@TempDir Path dir) throws Exception {
        Path systab = dir.resolve("systab");
        Files.writeString(systab, "ACPI20=0x7fb7d014\nACPI=0x7fb7d000\nSMBIOS=0x7f920000\nSMBIOS3=0x7f91e000\n");
        assertEquals(new HostTables(0x7fb7d014L, 0x7f920000L), HostTables.parseSystab(systab));
        assertEquals(HostTables.none(), HostTables.parseSystab(dir.resolve("absent")), "a BIOS-booted host: scan at entry");
    }
}
