package dev.efiemu.loader.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.loader.testing.RealFixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The machine type read from the headers alone agrees with the full parse, on real payloads. */
class MachineOfTest {
    @Test
    void agreesWithTheParser() throws Exception {
        var fx = RealFixtures.fx();
        for (var p : java.util.List.of(fx.uki(), fx.cloudKernel(), fx.arm64Image(), fx.shim())) {
            byte[] b = Files.readAllBytes(p);
            assertEquals(PeImage.parse(b).machine(), PeImage.machineOf(b), p.toString());
        }
        assertEquals(0xaa64, PeImage.machineOf(Files.readAllBytes(fx.arm64Image())));
        assertEquals(-1, PeImage.machineOf(new byte[] {'M', 'Z'}));
        byte[] noPe = new byte[0x100];
        noPe[0] = 'M';
        noPe[1] = 'Z';
        noPe[0x3c] = (byte) 0x80;
        assertEquals(-1, PeImage.machineOf(noPe));
        noPe[0x3c] = (byte) 0xff;
        noPe[0x3d] = (byte) 0xff;
        assertEquals(-1, PeImage.machineOf(noPe), "e_lfanew beyond the file");
    }
}
