package dev.efiemu.core.boot;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.tables.BootService;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.tables.SystemTables;
import java.util.zip.CRC32;

/** InstallConfigurationTable (§7.5) and CalculateCrc32 (§7.5). */
public final class MiscServices {
    private final Machine m;
    private final SystemTables tables;

    public MiscServices(Machine m, SystemTables tables) {
        this.m = m;
        this.tables = tables;
    }

    public void register(ServiceRegistry<BootService> r) {
        r.add(BootService.INSTALL_CONFIGURATION_TABLE, c -> {
            if (c.arg(0) == 0) return Status.INVALID_PARAMETER;
            var g = m.memory().guid(c.arg(0));
            c.note(Guids.name(g) + String.format(" = 0x%x", c.arg(1)));
            return tables.installConfigTable(g, c.arg(1)) ? Status.SUCCESS : Status.NOT_FOUND;
        });
        r.add(BootService.CALCULATE_CRC32, c -> {
            if (c.arg(0) == 0 || c.arg(1) == 0 || c.arg(2) == 0) return Status.INVALID_PARAMETER;
            CRC32 crc = new CRC32();
            crc.update(m.memory().read(c.arg(0), c.arg(1)));
            m.memory().u32(c.arg(2), crc.getValue());
            return Status.SUCCESS;
        });
    }
}
