package dev.efiemu.loader.fdt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Device tree blobs made by the reference tools (dtc, QEMU's dumpdtb) read back as they describe the machine. */
class DeviceTreeTest {
    @TempDir
    Path tmp;

    byte[] dtc(String source) throws Exception {
        Path dts = tmp.resolve("t.dts"), dtb = tmp.resolve("t.dtb");
        Files.writeString(dts, source);
        Tools.Result r = Tools.run("dtc", "-I", "dts", "-O", "dtb", "-o", dtb.toString(), dts.toString());
        assertEquals(0, r.exitCode(), r.output());
        return Files.readAllBytes(dtb);
    }

    @Test
    void memoryNodesReservationsAndCellSizes() throws Exception {
        byte[] b = dtc("""
                /dts-v1/;
                /memreserve/ 0x48000000 0x10000;
                / {
                    compatible = "efiemu,test", "linux,dummy-virt";
                    #address-cells = <2>;
                    #size-cells = <2>;
                    memory@100000000 { device_type = "memory"; reg = <0x1 0x0 0x0 0x40000000>; };
                    memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x20000000>, <0x0 0x70000000 0x0 0x10000000>; };
                    reserved-memory {
                        #address-cells = <2>;
                        #size-cells = <2>;
                        ranges;
                        tee@50000000 { reg = <0x0 0x50000000 0x0 0x200000>; no-map; };
                    };
                    soc { #address-cells = <1>; #size-cells = <1>; uart@9000000 { reg = <0x9000000 0x1000>; }; };
                };
                """);
        DeviceTree t = DeviceTree.parse(b);
        assertEquals(List.of("efiemu,test", "linux,dummy-virt"), t.model());
        assertEquals(List.of(new DeviceTree.Range(0x40000000L, 0x20000000L), new DeviceTree.Range(0x70000000L, 0x10000000L),
                new DeviceTree.Range(0x100000000L, 0x40000000L)), t.memory());
        assertEquals(List.of(new DeviceTree.Range(0x48000000L, 0x10000L), new DeviceTree.Range(0x50000000L, 0x200000L)), t.reserved());
        assertEquals(17, t.version());
    }

    @Test
    void oneCellAddressesAndV16() throws Exception {
        byte[] b = dtc("""
                /dts-v1/;
                / { #address-cells = <1>; #size-cells = <1>; memory { device_type = "memory"; reg = <0x80000000 0x8000000>; }; };
                """);
        assertEquals(List.of(new DeviceTree.Range(0x80000000L, 0x8000000L)), DeviceTree.parse(b).memory());
    }

    /** QEMU's own tree for -M virt (what `efiemu run --dtb` gets for a QEMU hand-off): 1 GiB at 0x40000000. */
    @Test
    void qemuVirtDumpdtb() throws Exception {
        Path dtb = tmp.resolve("virt.dtb");
        Tools.Result r = Tools.run("qemu-system-aarch64", "-M", "virt,dumpdtb=" + dtb, "-cpu", "max", "-m", "1G", "-nographic", "-nodefaults");
        assertEquals(0, r.exitCode(), r.output());
        DeviceTree t = DeviceTree.parse(Files.readAllBytes(dtb));
        assertEquals(List.of(new DeviceTree.Range(0x40000000L, 1L << 30)), t.memory());
        assertTrue(t.model().contains("linux,dummy-virt"), t.model().toString());
    }

    @Test
    void badBlobsSayWhatIsWrong() throws Exception {
        byte[] good = dtc("/dts-v1/;\n/ { memory { device_type = \"memory\"; reg = <0x0 0x40000000 0x0 0x1000000>; }; };\n");
        FormatException e = assertThrows(FormatException.class, () -> DeviceTree.parse("MZ this is a PE file, not a tree......................".getBytes()));
        assertTrue(e.getMessage().contains("no FDT magic"), e.getMessage());
        e = assertThrows(FormatException.class, () -> DeviceTree.parse(Arrays.copyOf(good, good.length - 20)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(FormatException.class, () -> DeviceTree.parse(new byte[] {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed}));
        assertTrue(e.getMessage().contains("shorter than the 40-byte FDT header"), e.getMessage());
        // a structure block pointing beyond the blob
        byte[] bad = good.clone();
        java.nio.ByteBuffer.wrap(bad).putInt(8, 0x7ffffff0);
        e = assertThrows(FormatException.class, () -> DeviceTree.parse(bad));
        assertTrue(e.getMessage().contains("structure block"), e.getMessage());
        // mutate every byte of the header and the first tokens: parse or refuse, never anything else
        for (int i = 0; i < Math.min(good.length, 256); i++) {
            for (int v : new int[] {0, 0xff, 0x7f, 0x80}) {
                byte[] m = good.clone();
                m[i] = (byte) v;
                try {
                    DeviceTree.parse(m);
                } catch (FormatException ok) {
                    assertTrue(!ok.getMessage().contains("\n"));
                }
            }
        }
    }
}
