package dev.efiemu.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.protocols.fs.EspDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hostile.c against every service and protocol member: bad arguments get an EFI error status or a
 * fault report (for memory no firmware could use), never a host exception, a hang, a crash or a
 * changed host file. Each fault case is a run of its own, on a machine with every protocol in
 * place: consoles, RNG, TCG2, the initrd, Security2, the ESP as a file system and as a disk.
 */
class HostileGuestTest {
    static final int FAULT_CASES = 32;

    @TempDir
    Path tmp;

    record Run(RunOutcome outcome, Map<String, Integer> unsupported) {}

    Run run(byte[] app, Path esp, int n) throws Exception {
        MachineConfig cfg = MachineConfig.defaults().withSeed(1L).withBudget(30_000)
                .withConsole(new PrintStream(new ByteArrayOutputStream(), true));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols.install(fw, "initrd".getBytes(), null);
            SecureBoot.enable(fw, TrustStore.empty(), null);
            Path payload = tmp.resolve("hostile.efi");
            if (!Files.exists(payload)) Files.write(payload, app);
            EspDevice.Placement where = EspDevice.servePayload(fw, esp, false, payload, true);
            RunOutcome o = fw.runPayload(app, "hostile.efi", Integer.toString(n), where.device(), DevicePath.filePath(where.path()));
            return new Run(o, Map.copyOf(fw.machine().traps().unsupportedCalls()));
        }
    }

    static String describe(RunOutcome o) {
        if (o.fault() != null) return o.fault().format();
        long s = o.status();
        return o.kind() + " " + o.message() + ((s & 0x8000000000100000L) == 0x8000000000100000L ? " (CHECK at line " + (s & 0xfffff) + ")" : "");
    }

    /** Every file under {@code dir} with its SHA-256 (symlinks by target, not followed). */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                String key = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) m.put(key, "-> " + Files.readSymbolicLink(p));
                else if (Files.isRegularFile(p)) m.put(key, sha256(Files.readAllBytes(p)));
                else m.put(key, "dir");
            }
        }
        return m;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void badArgumentsGetErrorsOrFaultReportsAndTouchNothingOnTheHost() throws Exception {
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/hostile.c"), "x86_64"));
        Path esp = Files.createDirectories(tmp.resolve("esp/EFI/Linux")).getParent().getParent();
        Files.writeString(esp.resolve("EFI/Linux/README.txt"), "hello");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("hostname"), "secret");
        Files.createSymbolicLink(esp.resolve("escape"), outside);
        Map<String, String> before = snapshot(tmp);

        // Case 0: every call that must fail does.
        Run errors = run(app, esp, 0);
        assertEquals(RunOutcome.Kind.RETURNED, errors.outcome().kind(), describe(errors.outcome()));
        assertEquals(Status.SUCCESS, errors.outcome().status(), describe(errors.outcome()));
        // the unimplemented services it called are counted, by service and argument
        for (String u : List.of("BS.ConnectController", "BS.DisconnectController", "RT.GetWakeupTime", "RT.SetWakeupTime",
                "RT.SetVirtualAddressMap", "RT.ConvertPointer", "RT.UpdateCapsule", "RT.QueryCapsuleCapabilities",
                "BS.UnloadImage(started image)", "Tcg2.HashLogExtendEvent(PE_COFF_IMAGE of no PE image)", "ConOut.SetMode(mode 3)",
                "InitrdLoadFile2.LoadFile(BootPolicy TRUE)")) {
            assertTrue(errors.unsupported().containsKey(u), u + " in " + errors.unsupported());
        }

        // Cases 1..: a fault report naming the service, or an error status; nothing else.
        List<String> faults = new ArrayList<>();
        for (int n = 1; n <= FAULT_CASES; n++) {
            RunOutcome o = run(app, esp, n).outcome();
            String what = "case " + n + ": " + describe(o);
            switch (o.kind()) {
                case FAULT -> {
                    assertTrue(o.fault() != null, what);
                    assertTrue(!o.message().contains("efiemu error"), "a host exception, not a guest fault: " + what);
                    faults.add(n + ": " + o.message());
                }
                case RETURNED -> assertEquals(Status.SUCCESS, o.status(), "the call must fail or fault: " + what);
                default -> fail("neither a fault report nor an error: " + what);
            }
        }
        faults.forEach(System.out::println);
        assertTrue(faults.size() >= FAULT_CASES - 4, "most of these calls can only end in a fault report: " + faults);
        assertTrue(faults.stream().anyMatch(f -> f.contains("BS.AllocatePool was given memory it cannot use")), faults.toString());
        assertTrue(faults.stream().anyMatch(f -> f.contains("lies in the firmware's service stubs")), faults.toString());

        // No case changed a file, in the ESP or outside it (the run's own payload copy included).
        assertEquals(before.keySet().stream().filter(k -> !k.equals("hostile.efi")).toList(),
                snapshot(tmp).keySet().stream().filter(k -> !k.equals("hostile.efi")).toList());
        Map<String, String> after = snapshot(tmp);
        after.remove("hostile.efi");
        assertEquals(before, after, "host files untouched");
    }
}
