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
import dev.efiemu.fixtures.TestApps;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void nestedImagesWithExitData() throws Exception {
        byte[] child = Files.readAllBytes(app("images_child"));
        byte[] arm64 = Files.readAllBytes(TestApps.build(Path.of("src/test/c/images_child.c"), "aarch64"));
        assertPassed(run("images_parent", fw -> {
            long buf = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, child.length);
            fw.machine().memory().write(buf, child);
            long other = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, arm64.length);
            fw.machine().memory().write(other, arm64);
            long table = fw.machine().allocatePool(MemoryType.BOOT_SERVICES_DATA, 32);
            fw.machine().memory().u64(table, buf);
            fw.machine().memory().u64(table + 8, child.length);
            fw.machine().memory().u64(table + 16, other);
            fw.machine().memory().u64(table + 24, arm64.length);
            fw.tables().installConfigTable(CHILD_TABLE, table);
        }));
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
