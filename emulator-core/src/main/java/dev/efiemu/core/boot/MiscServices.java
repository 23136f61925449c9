package dev.efiemu.core.boot;

import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.tables.ServiceRegistry;
import dev.efiemu.core.tables.SystemTables;
import java.util.function.Supplier;
import java.util.zip.CRC32;

/** InstallConfigurationTable (§7.5) and CalculateCrc32 (§7.5). */
public final class MiscServices {
    private final Machine m;
    private final Supplier<SystemTables> tables;

    public MiscServices(Machine m, Supplier<SystemTables> tables) {
        this.m = m;
        this.tables = tables;
    }

    public void register(ServiceRegistry r) {
        r.add("InstallConfigurationTable", 2, c -> {
            if (c.arg(0) == 0) return Status.INVALID_PARAMETER;
            var g = m.memory().guid(c.arg(0));
            c.note(Guids.name(g) + String.format(" = 0x%x", c.arg(1)));
            return tables.get().installConfigTable(g, c.arg(1)) ? Status.SUCCESS : Status.NOT_FOUND;
        });
        r.add("CalculateCrc32", 3, c -> {
            if (c.arg(0) == 0 || c.arg(1) == 0 || c.arg(2) == 0) return Status.INVALID_PARAMETER;
            CRC32 crc = new CRC32();
            crc.update(m.memory().read(c.arg(0), c.arg(1)));
            m.memory().u32(c.arg(2), crc.getValue());
            return Status.SUCCESS;
        });
    }
}
