package dev.efiemu.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.loader.fdt.DeviceTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which device tree a boot gets: --dtb, else an arm64 host's own for --memmap host, checked; and the memory map it implies. */
class DeviceTreeInputTest {
    @TempDir
    Path tmp;

    Path dtb(String name, String memory) throws Exception {
        Path dts = tmp.resolve(name + ".dts"), out = tmp.resolve(name + ".dtb");
        Files.writeString(dts, "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; memory@0 { device_type = \"memory\"; reg = <" + memory + ">; }; };\n");
        Process p = new ProcessBuilder("dtc", "-I", "dts", "-O", "dtb", "-o", out.toString(), dts.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        return out;
    }

    @Test
    void givenTreeHostTreeOrNone() throws Exception {
        Path given = dtb("given", "0x0 0x40000000 0x0 0x20000000");
        Path host = dtb("host", "0x0 0x80000000 0x1 0x0");
        BootRequest r = BootRequest.of(tmp.resolve("payload.efi"));
        assertNull(BootSession.deviceTree(r, Arch.AARCH64, host), "QEMU machine: no tree unless given");
        assertEquals(0x40000000L, BootSession.deviceTree(r.withDtb(given), Arch.AARCH64, host).memory().get(0).start());
        DeviceTree fromHost = BootSession.deviceTree(r.withMemmap("host"), Arch.AARCH64, host);
        assertEquals(List.of(new DeviceTree.Range(0x80000000L, 1L << 32)), fromHost.memory(), "--memmap host: the host's /sys/firmware/fdt");
        assertEquals(0x40000000L, BootSession.deviceTree(r.withMemmap("host").withDtb(given), Arch.AARCH64, host).memory().get(0).start(),
                "--dtb wins");
        assertNull(BootSession.deviceTree(r.withMemmap("host"), Arch.AARCH64, tmp.resolve("absent")), "an ACPI host without the file");
        assertNull(BootSession.deviceTree(r.withMemmap("host"), Arch.X86_64, host), "x86_64: never");
        BootError e = assertThrows(BootError.class, () -> BootSession.deviceTree(r.withDtb(given), Arch.X86_64, host));
        assertTrue(e.getMessage().contains("a device tree is for AArch64 payloads"), e.getMessage());
    }

    /** The tree's RAM is the memory map (first 2 MiB kept for QEMU's own tree); presets of the other architecture are refused. */
    @Test
    void treeMemoryIsTheMap() throws Exception {
        DeviceTree t = DeviceTree.parse(Files.readAllBytes(dtb("m", "0x0 0x40000000 0x0 0x20000000")));
        var map = MachineLayout.resolve("qemu", Arch.AARCH64, t).get();
        assertEquals(0x40000000L + 0x20000000L, map.highestAddress());
        var first = map.regions().get(0);
        assertEquals(0x40000000L, first.start());
        assertEquals("BS_Data", first.typeName());
        assertTrue(first.fixed());
        assertNull(MachineLayout.resolve("qemu", Arch.AARCH64, null), "virt preset");
        assertThrows(BootError.class, () -> MachineLayout.resolve("q35", Arch.AARCH64, null));
        assertThrows(BootError.class, () -> MachineLayout.resolve("virt", Arch.X86_64, null));
    }
}
