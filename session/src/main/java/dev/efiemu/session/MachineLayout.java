package dev.efiemu.session;

import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.cpu.Arch;
import dev.efiemu.loader.fdt.DeviceTree;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.PlatformLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The target machine's physical memory map, as the user names it: QEMU's machine for the payload's
 * architecture with a RAM size ({@code qemu}: q35 + SeaBIOS for x86_64, virt for AArch64, or the
 * RAM of a given device tree; {@code q35} and {@code virt} by name; for hand-offs booted in QEMU),
 * this host's RAM ({@code host}, for kexec), or a map in /proc/iomem format read from a file.
 */
public final class MachineLayout {
    private MachineLayout() {}

    /** True for a spec naming a file (a machine's map in /proc/iomem format). */
    public static boolean isFile(String spec) {
        return switch (spec) {
            case "qemu", "q35", "qemu-q35", "virt", "qemu-virt", "host" -> false;
            default -> true;
        };
    }

    /** True for the spec that means "this host": what kexec needs. */
    public static boolean isHost(String spec) {
        return "host".equals(spec);
    }

    /**
     * The layout {@code spec} names for a payload of {@code arch}, or null for the architecture's
     * QEMU preset (the machine then uses its RAM size). With a device tree and a QEMU preset, the
     * tree's memory nodes are the RAM.
     *
     * @throws BootError for a preset of the other architecture, a file that is missing or holds no usable RAM
     */
    public static Supplier<MemoryMap> resolve(String spec, Arch arch, DeviceTree dtb) {
        boolean arm = arch == Arch.AARCH64;
        switch (spec) {
            case "q35", "qemu-q35", "virt", "qemu-virt" -> {
                boolean virt = spec.endsWith("virt");
                if (virt != arm) {
                    throw new BootError("--memmap " + spec + " is QEMU's " + (virt ? "AArch64" : "x86_64") + " machine; this payload is "
                            + (arm ? "AArch64 (use virt)" : "x86_64 (use q35)"));
                }
            }
            case "qemu" -> { }
            default -> {
                return parse(spec);
            }
        }
        if (dtb == null) return null;
        if (dtb.memory().isEmpty()) throw new BootError("--dtb: the device tree describes no memory (no device_type = \"memory\" node with a reg)");
        List<long[]> ram = dtb.memory().stream().map(r -> new long[] {r.start(), r.end()}).toList();
        List<long[]> reserved = dtb.reserved().stream().map(r -> new long[] {r.start(), r.end()}).toList();
        return () -> PlatformLayout.arm64(ram, reserved);
    }

    /**
     * The layout {@code spec} names, or null for a QEMU preset (the machine then uses its RAM size).
     *
     * @throws BootError for a file that is missing or holds no usable RAM
     */
    public static Supplier<MemoryMap> parse(String spec) {
        return switch (spec) {
            case "qemu", "q35", "qemu-q35", "virt", "qemu-virt" -> null;
            case "host" -> MachineLayout::host;
            default -> {
                Path f = Path.of(spec);
                if (!Files.isRegularFile(f)) {
                    throw new BootError("--memmap " + spec + ": use qemu, q35, virt, host, or an existing file in /proc/iomem format");
                }
                String text = new String(Inputs.read(f, "--memmap"), StandardCharsets.UTF_8);
                List<HostMemoryLayout.Range> ranges = HostMemoryLayout.parseIomemTopLevel(text);
                if (ranges.stream().noneMatch(r -> r.ram() && r.end() - r.start() >= (64L << 20))) {
                    throw new BootError("--memmap " + f + ": no 'System RAM' range of at least 64 MiB in it");
                }
                List<HostMemoryLayout.Range> crash = HostMemoryLayout.findIomem(text, "Crash kernel");
                yield () -> HostMemoryLayout.toMemoryMap(ranges, crash);
            }
        };
    }

    /** The q35 preset for {@code ramBytes} of RAM. */
    public static MemoryMap q35(long ramBytes) {
        return PlatformLayout.q35(ramBytes);
    }

    /**
     * This host's memory map (firmware memmap, else /proc/iomem), with the crash kernel kept out and
     * the firmware's runtime regions (an EFI-booted host) described as the firmware did.
     */
    public static MemoryMap host() {
        try {
            String iomem = Files.readString(Path.of("/proc/iomem"));
            List<HostMemoryLayout.Range> crash = new java.util.ArrayList<>(HostMemoryLayout.findIomem(iomem, "Crash kernel"));
            Path sysfs = Path.of("/sys/firmware/memmap");
            List<HostMemoryLayout.Range> ranges = Files.isDirectory(sysfs) ? HostMemoryLayout.readSysfs(sysfs)
                    : HostMemoryLayout.parseIomemTopLevel(iomem);
            // RAM the kernel reserved since boot (efi_mem_reserve: a display's BGRT logo, ...) is not System RAM for kexec_load
            if (Files.isDirectory(sysfs)) crash.addAll(HostMemoryLayout.reservedSinceBoot(ranges, iomem));
            if (ranges.stream().noneMatch(r -> r.ram() && r.end() > r.start() + (1 << 20))) {
                throw new BootError("--memmap host: no System RAM visible in /sys/firmware/memmap or /proc/iomem (not root?)");
            }
            return HostMemoryLayout.toMemoryMap(ranges, crash, HostRuntime.regions(Path.of("/sys/firmware/efi")));
        } catch (IOException e) {
            throw new BootError("--memmap host: cannot read the host memory map: " + e.getMessage());
        }
    }
}
