package dev.efiemu.core.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.loader.Guid;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.runtime.VariableStore;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.core.boot.BootObserver;
import dev.efiemu.core.boot.ImageServices;
import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.image.LoadedImageRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 acceptance 2 and 3: small EFI apps compiled from C (src/test/c) exercise single service
 * groups against the emulated firmware. An app returns EFI_SUCCESS when all its checks hold, or
 * 0x8000000000100000 | line of the first failing CHECK.
 */
class TargetedAppsTest {
    static final Guid CHILD_TABLE = Guid.parse("e1e1e1e1-0001-0002-0304-05060708090a");

    static Path app(String name) {
        return TestApps.build(Path.of("src/test/c", name + ".c"), "x86_64");
    }

    static RunOutcome run(String name, Consumer<Firmware> setup) throws Exception {
        byte[] pe = Files.readAllBytes(app(name));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            setup.accept(fw);
            return fw.runPayload(pe, name + ".efi", null, 0, DevicePath.filePath("\\" + name + ".efi"));
        }
    }

    static void assertPassed(RunOutcome o) {
        String why = o.fault() != null ? o.fault().format() : o.message();
        assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
        long s = o.status();
        assertEquals(Status.SUCCESS, s, (s & 0x8000000000100000L) == 0x8000000000100000L
                ? "CHECK failed at line " + (s & 0xfffff) : Status.name(s));
    }

    /**
     * §7.4: ExitBootServices with a map key that is not the current one is EFI_INVALID_PARAMETER (the
     * Linux stub gets the map again and retries on it). The run must end in the call with the fresh
     * key: the app writes MemoryStep only after the stale and the never-issued key were refused,
     * and the trace shows exactly three ExitBootServices calls, the last one with the current key.
     */
    @Test
    void memoryServicesAndMapKey() throws Exception {
        byte[] pe = Files.readAllBytes(app("memory"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            java.util.List<dev.efiemu.core.trap.ServiceTrace.Entry> ebs = new java.util.ArrayList<>();
            fw.machine().traps().onCall(e -> { if (e.service().equals("BS.ExitBootServices")) ebs.add(e); });
            java.util.function.Supplier<String> calls = () -> ebs.stream().map(e -> e.format()).toList().toString();
            int[] observed = new int[1];
            fw.images().observe(new BootObserver() {
                @Override
                public void exitBootServices() {
                    observed[0]++;
                }
            });
            RunOutcome o = fw.runPayload(pe, "memory.efi", null, 0, DevicePath.filePath("\\memory.efi"));
            String why = o.fault() != null ? o.fault().format() : o.message() + " status 0x" + Long.toHexString(o.status())
                    + " (line " + (o.status() & 0xfffff) + ")";
            assertEquals(RunOutcome.Kind.EXIT_BOOT_SERVICES, o.kind(), why);
            var step = fw.variables().get("MemoryStep", Guid.parse("77777777-1111-2222-0101-020203030406"));
            assertTrue(step != null && step.data()[0] == 1, "ExitBootServices accepted a stale or unknown map key: " + calls.get());
            assertEquals(3, ebs.size(), calls.get());
            assertEquals(Status.INVALID_PARAMETER, ebs.get(0).status(), ebs.get(0).format());
            assertEquals(Status.INVALID_PARAMETER, ebs.get(1).status(), ebs.get(1).format());
            assertEquals(fw.machine().memoryMap().mapKey(), ebs.get(2).args()[1], "accepted with the current key: " + ebs.get(2).format());
            var events = fw.variables().get("EbsEvents", Guid.parse("77777777-1111-2222-0101-020203030406"));
            assertTrue(events != null, "the ExitBootServices event ran in the call that succeeded");
            assertEquals(3, events.data()[0], "the BeforeExitBootServices group is signalled at each of the three calls");
            assertEquals(1, events.data()[1], "the ExitBootServices event once");
            // the machine as frozen at the call: boot services over, the tables and registers captured
            assertTrue(!fw.machine().bootServicesActive(), "boot services end with the accepted call");
            assertEquals(1, observed[0], "the observers (measured boot) hear of the accepted call only");
            assertEquals(fw.tables().systemTable(), o.handoff().systemTable());
            assertEquals(fw.tables().configTables().size(), o.handoff().configTables().size(), o.handoff().configTables().toString());
            assertTrue(!o.handoff().configTables().isEmpty());
            assertEquals(fw.machine().memoryMap().regions(), o.handoff().memoryMap());
        }
    }

    @Test
    void protocolDatabase() throws Exception {
        assertPassed(run("protocols", fw -> { }));
    }

    @Test
    void eventsTimersAndVirtualClock() throws Exception {
        assertPassed(run("events", fw -> { }));
    }

    /**
     * images_parent.c: nested images (UEFI 2.10 §7.4), from buffers the test publishes: the child
     * as an application, for AArch64, and as a boot-service driver. What LoadImage takes is reported
     * to the firmware's observers (measured boot) under a name of its own: a buffer with no file
     * path is the parent's "child-N".
     */
    @Test
    void nestedImagesWithExitData() throws Exception {
        byte[] child = Files.readAllBytes(app("images_child"));
        byte[] arm64 = Files.readAllBytes(TestApps.build(Path.of("src/test/c/images_child.c"), "aarch64"));
        byte[] driver = Files.readAllBytes(TestApps.build(Path.of("src/test/c/images_child.c"), TestApps.Arch.X86_64,
                List.of("-Wl,-subsystem:efi_boot_service_driver"), Fixtures.cache().apps()));
        List<String> loaded = new ArrayList<>();
        assertPassed(run("images_parent", fw -> {
            long table = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, 48);
            int i = 0;
            for (byte[] file : List.of(child, arm64, driver)) {
                long buf = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, file.length);
                fw.machine().memory().write(buf, file);
                fw.machine().memory().u64(table + 16 * i, buf);
                fw.machine().memory().u64(table + 16 * i + 8, file.length);
                i++;
            }
            fw.tables().installConfigTable(CHILD_TABLE, table);
            fw.images().observe(new BootObserver() {
                @Override
                public void imageLoaded(byte[] file, LoadedImageRecord image, DevicePath fullPath) {
                    loaded.add(image.name() + " " + fullPath);
                }
            });
        }));
        assertEquals("images_parent.efi \\images_parent.efi", loaded.get(0), loaded.toString());
        assertEquals("images_parent.efi/child-1 null", loaded.get(1), loaded.toString());
        assertEquals("images_parent.efi/child-2 null", loaded.get(2), loaded.toString());
        assertTrue(loaded.contains("named.efi \\named.efi"), loaded.toString());
    }

    static final Guid PATHS_TABLE = Guid.parse("e1e1e1e1-0002-0002-0304-05060708090a");
    static final Guid VENDOR_A = Guid.parse("aaaaaaaa-1111-2222-0102-03040506070a");
    static final Guid VENDOR_B = Guid.parse("bbbbbbbb-1111-2222-0102-03040506070b");

    /** A device handle with a device path, as a file-system driver makes it. */
    static Handle device(Firmware fw, DevicePath path) {
        byte[] b = path.bytes();
        long at = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, b.length);
        fw.machine().memory().write(at, b);
        return fw.installProtocol(null, Guids.DEVICE_PATH, at);
    }

    /**
     * images_paths.c: LoadImage by device path (UEFI 2.10 §7.4) from the file systems the firmware
     * serves (two devices, one's path a prefix of the other's) and from the guest's own LoadFile2
     * devices, and the Security2/Security protocols it consults (PI vol. 2 §12.8, §12.9), installed
     * by the guest as systemd-stub and shim hook them. The payload itself is booted from device B
     * with a command line, as the boot manager boots an option: ReadyToBoot, then its LoadImage;
     * the observers hear of each image with its whole device path.
     */
    @Test
    void loadImageByDevicePathLoadFile2AndSecurity() throws Exception {
        byte[] pe = Files.readAllBytes(app("images_paths"));
        byte[] child = Files.readAllBytes(app("images_child"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(120_000), PeImageFile::parse)) {
            Handle a = device(fw, DevicePath.of(DevicePath.vendorHardware(VENDOR_A)));
            fw.installProtocol(a, VENDOR_A, 0); // another protocol: the handle stays when its device path goes
            Handle b = device(fw, DevicePath.of(DevicePath.vendorHardware(VENDOR_A), DevicePath.vendorMedia(VENDOR_B)));
            ImageServices.FileReader files = path -> path.equals("\\child.efi") ? child : null;
            fw.serveFiles(a, files);
            fw.serveFiles(b, files);
            long buf = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, child.length);
            fw.machine().memory().write(buf, child);
            long table = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, 32);
            fw.machine().memory().u64(table, buf);
            fw.machine().memory().u64(table + 8, child.length);
            fw.machine().memory().u64(table + 16, a.address());
            fw.machine().memory().u64(table + 24, b.address());
            fw.tables().installConfigTable(PATHS_TABLE, table);
            List<String> heard = new ArrayList<>();
            fw.images().observe(new BootObserver() {
                @Override
                public void imageLoaded(byte[] file, LoadedImageRecord image, DevicePath fullPath) {
                    heard.add(image.name() + " " + fullPath + " " + (file.length == child.length));
                }

                @Override
                public void readyToBoot() {
                    heard.add("ReadyToBoot");
                }
            });
            assertPassed(fw.runPayload(pe, "images_paths.efi", "paths", b.address(), DevicePath.filePath("\\images_paths.efi")));
            String devB = "VenHw(" + VENDOR_A + ")/VenMedia(" + VENDOR_B + ")";
            assertEquals(List.of("ReadyToBoot", "images_paths.efi " + devB + "/\\images_paths.efi false",
                    "child.efi " + devB + "/\\child.efi true"), heard.subList(0, 3));
        }
    }

    @Test
    void variablesWithAttributes() throws Exception {
        assertPassed(run("variables", fw -> { }));
    }

    /** A payload's plain SetVariable never changes the Secure Boot state or keys; an authenticated write is counted as unsupported. */
    @Test
    void secureBootVariablesResistPlainWrites() throws Exception {
        byte[] pe = Files.readAllBytes(app("secure_vars"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            var v = fw.variables();
            int bsRt = VariableStore.BOOTSERVICE_ACCESS | VariableStore.RUNTIME_ACCESS;
            int nvBsRtAuth = VariableStore.NON_VOLATILE | bsRt | VariableStore.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
            v.put("SecureBoot", Guids.GLOBAL_VARIABLE, bsRt, new byte[] {1});
            v.put("SetupMode", Guids.GLOBAL_VARIABLE, bsRt, new byte[] {0});
            v.put("db", Guids.IMAGE_SECURITY_DATABASE, nvBsRtAuth, new byte[] {(byte) 0xdb, 1, 2, 3});
            v.put("dbx", Guids.IMAGE_SECURITY_DATABASE, nvBsRtAuth, new byte[] {(byte) 0xdf, 1, 2, 3});
            v.put("KEK", Guids.GLOBAL_VARIABLE, nvBsRtAuth, new byte[] {(byte) 0xee, 1, 2, 3});
            assertPassed(fw.runPayload(pe, "secure_vars.efi", null, 0, DevicePath.filePath("\\secure_vars.efi")));
            assertTrue(v.writtenByPayload().isEmpty(), "nothing written: " + v.writtenByPayload());
            assertEquals(1, fw.machine().traps().unsupportedCalls().get("RT.SetVariable(authenticated write of ImageSecurityDatabase:db)"),
                    fw.machine().traps().unsupportedCalls().toString());
        }
    }

    /** SetWatchdogTimer is enforced on the virtual clock: re-armed or disarmed in time it is quiet; left to run out it resets the machine. */
    @Test
    void watchdogResetsTheMachineWhenItRunsOut() throws Exception {
        byte[] pe = Files.readAllBytes(app("watchdog"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L).withBudget(60_000), PeImageFile::parse)) {
            RunOutcome o = fw.runPayload(pe, "watchdog.efi", null, 0, DevicePath.filePath("\\watchdog.efi"));
            assertEquals(RunOutcome.Kind.RESET, o.kind(), o.message() + " status " + Status.name(o.status()));
            assertEquals(Status.TIMEOUT, o.status());
            assertTrue(o.message().startsWith("the watchdog timer fired after 2 s of virtual time"), o.message());
            var step = fw.variables().get("WatchdogStep", Guid.parse("77777777-1111-2222-0101-020203030405"));
            assertEquals(3, step.data()[0], "the reset came during the last stall, after the timer and before step 4");
        }
    }

    @Test
    void unmappedReadIsReportedWithImageAndRva() throws Exception {
        RunOutcome o = run("fault_unmapped", fw -> { });
        assertEquals(RunOutcome.Kind.FAULT, o.kind(), o.message());
        assertTrue(o.fault().pcWhere().startsWith("fault_unmapped.efi+0x"), o.fault().format());
        assertEquals(0x7000000000L, o.fault().address() & ~0xfffL, o.fault().format());
        assertTrue(o.fault().format().contains("memory fault"), o.fault().format());
    }

    @Test
    void runawayGuestIsEndedByTheBudgetWithAReport() throws Exception {
        byte[] pe = Files.readAllBytes(app("spin"));
        long t0 = System.nanoTime();
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(1000), PeImageFile::parse)) {
            RunOutcome o = fw.runPayload(pe, "spin.efi", null, 0, DevicePath.filePath("\\spin.efi"));
            assertEquals(RunOutcome.Kind.BUDGET, o.kind(), o.message());
            assertTrue(o.fault().pcWhere().startsWith("spin.efi+0x"), o.fault().format());
        }
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "ended promptly");
    }

    @Test
    void garbageIsReportedWithImageAndRva() throws Exception {
        RunOutcome o = run("fault_garbage", fw -> { });
        assertEquals(RunOutcome.Kind.FAULT, o.kind(), o.message());
        assertTrue(o.fault().pcWhere().startsWith("fault_garbage.efi+0x"), o.fault().format());
        assertTrue(o.fault().format().contains("bytes at pc: 0f 0b"), o.fault().format());
    }
}
