package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.CpuEngine;
import dev.efiemu.cpu.Cpus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The module's META-INF/services entry: Cpus finds Unicorn by name and as "auto". */
class RegistrationTest {
    @Test
    void cpusFindsUnicornThroughServiceLoader() {
        assertEquals(List.of("unicorn"), Cpus.engines().stream().map(CpuEngine::name).toList());
        assertEquals(Cpus.engine("unicorn"), Cpus.engine());
        try (Cpu cpu = Cpus.open(Arch.X86_64, "unicorn")) {
            assertInstanceOf(UnicornCpu.class, cpu);
        }
    }
}
