package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.Guid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The initrd the guest receives through EFI_LOAD_FILE2_PROTOCOL is the initrd file, byte for byte,
 * and BufferSize is exact: initrd.c finds it the way the Linux stub does, probes, is refused one
 * byte short, loads into a larger buffer (nothing past the file written) and publishes what it got.
 */
class InitrdLoadFile2Test {
    static final Guid INITRD_SEEN = Guid.parse("e1e1e1e1-0003-0002-0304-05060708090a");

    @Test
    void guestReceivesTheInitrdFileExactly() throws Exception {
        Path initrd = Fixtures.cache().requireFetched().markerInitrd();
        byte[] file = Files.readAllBytes(initrd);
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/initrd.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            StandardProtocols.install(fw, file, null);
            RunOutcome o = fw.runPayload(app, "initrd.efi", null, 0, DevicePath.filePath("\\initrd.efi"));
            String why = o.fault() != null ? o.fault().format() : "line " + (o.status() & 0xfffff) + " " + Status.name(o.status());
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);
            Long table = fw.tables().configTables().get(INITRD_SEEN);
            assertTrue(table != null, "the app published what it received");
            long base = fw.machine().memory().u64(table), size = fw.machine().memory().u64(table + 8);
            assertEquals(file.length, size, "BufferSize after the load");
            byte[] got = fw.machine().memory().read(base, Math.toIntExact(size));
            assertEquals(-1, Arrays.mismatch(file, got), "first byte that differs from " + initrd);
        }
    }
}
