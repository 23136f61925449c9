package dev.efiemu.cli;

import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.core.memory.MemoryMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** --memmap: the q35 preset, this host's RAM (for kexec), or a map in /proc/iomem format from a file. */
final class Layouts {
    private Layouts() {}

    static MachineConfig apply(MachineConfig cfg, String memmap) {
        return switch (memmap) {
            case "q35", "qemu-q35" -> cfg;
            case "host" -> cfg.withLayout(Layouts::host);
            default -> {
                Path f = Path.of(memmap);
                if (!Files.isRegularFile(f)) {
                    throw new RunCommand.InputError("--memmap " + memmap + ": use q35, host, or an existing file in /proc/iomem format");
                }
                String text = new String(RunCommand.readInput(f, "--memmap"), StandardCharsets.UTF_8);
                List<HostMemoryLayout.Range> ranges = HostMemoryLayout.parseIomemTopLevel(text);
                if (ranges.stream().noneMatch(r -> r.ram() && r.end() - r.start() >= (64L << 20))) {
                    throw new RunCommand.InputError("--memmap " + f + ": no 'System RAM' range of at least 64 MiB in it");
                }
                List<HostMemoryLayout.Range> crash = HostMemoryLayout.findIomem(text, "Crash kernel");
                yield cfg.withLayout(() -> HostMemoryLayout.toMemoryMap(ranges, crash));
            }
        };
    }

    /** This host's memory map (firmware memmap, else /proc/iomem), with the crash kernel kept out. */
    static MemoryMap host() {
        try {
            String iomem = Files.readString(Path.of("/proc/iomem"));
            List<HostMemoryLayout.Range> crash = HostMemoryLayout.findIomem(iomem, "Crash kernel");
            Path sysfs = Path.of("/sys/firmware/memmap");
            List<HostMemoryLayout.Range> ranges = Files.isDirectory(sysfs) ? HostMemoryLayout.readSysfs(sysfs)
                    : HostMemoryLayout.parseIomemTopLevel(iomem);
            if (ranges.stream().noneMatch(r -> r.ram() && r.end() > r.start() + (1 << 20))) {
                throw new RunCommand.InputError("--memmap host: no System RAM visible in /sys/firmware/memmap or /proc/iomem (not root?)");
            }
            return HostMemoryLayout.toMemoryMap(ranges, crash);
        } catch (IOException e) {
            throw new RunCommand.InputError("--memmap host: cannot read the host memory map: " + e.getMessage());
        }
    }
}
