package dev.efiemu.protocols.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.fixtures.TestApps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 4 acceptance 5: the sandbox holds, from the host side and from a real EFI app's side. */
class EspSandboxTest {
    @TempDir
    Path tmp;

    Path esp() throws Exception {
        Path esp = tmp.resolve("esp");
        Files.createDirectories(esp.resolve("EFI/Linux"));
        Files.writeString(esp.resolve("EFI/Linux/README.txt"), "hello");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("hostname"), "secret");
        Files.createSymbolicLink(esp.resolve("escape"), outside);
        Files.createSymbolicLink(esp.resolve("inward"), esp.resolve("EFI"));
        return esp;
    }

    @Test
    void pathsNeverLeaveTheEsp() throws Exception {
        EspSandbox s = new EspSandbox(esp(), false);
        assertEquals(s.root().resolve("EFI/Linux/README.txt"), s.resolve(EspSandbox.components(List.of(), "\\efi\\linux\\readme.TXT")));
        assertEquals(List.of("etc", "hostname"), EspSandbox.components(List.of(), "\\..\\..\\etc\\hostname"));
        // ".." drops one name and stops at the root: cases that do not cancel themselves
        assertEquals(List.of("etc", "hostname"), EspSandbox.components(List.of(), "\\a\\..\\..\\..\\etc\\hostname"));
        assertEquals(List.of("etc", "hostname"), EspSandbox.components(List.of(), "\\a\\b\\c\\..\\..\\..\\..\\..\\..\\etc\\hostname"));
        assertEquals(List.of("a", "d"), EspSandbox.components(List.of(), "\\a\\b\\c\\..\\..\\d"));
        assertEquals(List.of("a", "c"), EspSandbox.components(List.of(), "\\a\\b\\..\\c"));
        assertEquals(List.of("EFI", "x"), EspSandbox.components(List.of("EFI", "Linux"), "..\\x"));
        assertEquals(List.of("x"), EspSandbox.components(List.of("EFI", "Linux"), "..\\..\\..\\..\\x"));
        assertEquals(List.of("EFI", "Linux", "y"), EspSandbox.components(List.of("EFI"), "Linux\\.\\z\\..\\y"));
        assertEquals(List.of(), EspSandbox.components(List.of("EFI"), "..\\..\\.."));
        assertEquals(s.root().resolve("EFI/Linux/README.txt"),
                s.resolve(EspSandbox.components(List.of(), "\\a\\b\\..\\..\\..\\..\\EFI\\x\\..\\Linux\\README.txt")));
        assertEquals(List.of("etc", "hostname"), EspSandbox.components(List.of("EFI"), "/etc/hostname"));
        assertNull(s.resolve(List.of("escape", "hostname")));
        assertNull(s.resolve(List.of("escape")));
        assertTrue(s.resolve(List.of("inward", "Linux", "README.txt")) != null);
        assertNull(s.resolve(List.of("a\0b")));
    }

    /**
     * The host side of the sandbox, call by call: an overlay file is shown (case-insensitively) at its
     * ESP path and listed in its directory only; host paths map back to ESP paths only from inside;
     * a name that does not exist yet resolves inside its parent; symlinks count by where they lead.
     */
    @Test
    void overlaysHostPathsAndSymlinks() throws Exception {
        Path esp = esp();
        Path outside = tmp.resolve("outside");
        Path payload = Files.writeString(tmp.resolve("payload.efi"), "MZ");
        EspSandbox s = new EspSandbox(esp, true);
        assertTrue(s.writable());
        assertTrue(!new EspSandbox(esp, false).writable());
        assertThrows(java.io.IOException.class, () -> new EspSandbox(esp.resolve("EFI/Linux/README.txt"), false));
        assertThrows(IllegalArgumentException.class, () -> s.overlay("\\..\\", payload));

        s.overlay("\\EFI\\Linux\\Payload.efi", payload);
        Path shown = payload.toAbsolutePath().normalize();
        assertEquals(shown, s.resolve(List.of("efi", "LINUX", "payload.EFI")));
        assertTrue(s.isOverlay(List.of("EFI", "Linux", "PAYLOAD.efi")));
        assertTrue(!s.isOverlay(List.of("EFI", "Linux")));
        assertTrue(!s.isOverlay(List.of("EFI", "Linux", "README.txt")));
        assertTrue(s.isOverlay(payload));
        assertTrue(!s.isOverlay(esp.resolve("EFI/Linux/README.txt")));
        assertTrue(!s.isOverlay((Path) null));
        assertEquals(java.util.Map.of("Payload.efi", shown), s.overlaysIn(List.of("efi", "linux")));
        assertEquals(java.util.Map.of(), s.overlaysIn(List.of("EFI")));
        assertEquals(java.util.Map.of(), s.overlaysIn(List.of()));
        assertTrue(s.inside(payload), "an overlay file counts as inside");

        assertEquals("\\EFI\\Linux\\README.txt", s.espPathOf(esp.resolve("EFI/Linux/README.txt")));
        assertEquals("\\EFI", s.espPathOf(esp.resolve("EFI/x/..")));
        assertNull(s.espPathOf(esp), "the root itself has no file path");
        assertNull(s.espPathOf(outside.resolve("hostname")));
        assertNull(s.espPathOf(tmp.resolve("esp2/x")), "a sibling whose name starts like the ESP's");

        assertEquals(s.root().resolve("EFI/Linux/new.txt"), s.resolve(List.of("EFI", "LINUX", "new.txt")), "a new name keeps its case, in the existing directory");
        assertTrue(s.inside(s.root().resolve("EFI/new.txt")), "not there yet: its parent decides");
        assertTrue(s.inside(s.root().resolve("new.txt")), "not there yet, in the root");
        assertTrue(!s.inside(s.root().resolve("nodir/new.txt")), "not there, nor its parent");
        assertTrue(!s.inside(s.root().resolve("escape/new.txt")), "its parent leads outside");
        assertTrue(!s.inside(outside.resolve("hostname")));
        assertTrue(!s.inside(s.root().resolve("..")));
        assertTrue(s.inside(s.root()));
        assertTrue(s.inside(s.root().resolve("inward/Linux/README.txt")), "a symlink that stays inside");
        assertTrue(!s.inside(s.root().resolve("escape")), "a symlink that leads out");
        assertEquals(s.root().resolve("EFI/Linux/README.txt"), s.resolve(List.of("EFI", "Linux", "README.txt")), "exact names");
        assertNull(s.resolve(List.of("EFI", "a/b")), "a name with a slash");
    }

    @Test
    void guestAppSeesASandboxedReadOnlyEsp() throws Exception {
        Path esp = esp();
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/esp_sandbox.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(60_000), PeImageFile::parse)) {
            EspSandbox sandbox = new EspSandbox(esp, false);
            Files.write(tmp.resolve("app.efi"), app);
            sandbox.overlay("\\EFI\\Linux\\app.efi", tmp.resolve("app.efi"));
            long device = new EspDevice(fw, sandbox).handle().address();
            RunOutcome o = fw.runPayload(app, "esp_sandbox.efi", null, device, DevicePath.filePath("\\EFI\\Linux\\app.efi"));
            String why = o.fault() != null ? o.fault().format() : "line " + (o.status() & 0xfffff);
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);
        }
        assertEquals("hello", Files.readString(esp.resolve("EFI/Linux/README.txt")));
        assertTrue(!Files.exists(esp.resolve("new.txt")));
    }

    @Test
    void loadImageByDevicePathReadsThroughTheEsp() throws Exception {
        Path esp = esp();
        Files.copy(TestApps.build(Path.of("../emulator-core/src/test/c/images_child.c"), "x86_64"), esp.resolve("EFI/child.efi"));
        Path parent = TestApps.build(Path.of("src/test/c/load_by_path.c"), "x86_64");
        Files.copy(parent, esp.resolve("EFI/parent.efi"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(60_000), PeImageFile::parse)) {
            long device = new EspDevice(fw, new EspSandbox(esp, false)).handle().address();
            RunOutcome o = fw.runPayload(Files.readAllBytes(parent), "parent.efi", null, device, DevicePath.filePath("\\EFI\\parent.efi"));
            String why = o.fault() != null ? o.fault().format() : "line " + (o.status() & 0xfffff);
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);
        }
    }

    @Test
    void writableEspWritesRealFiles() throws Exception {
        Path esp = esp();
        byte[] app = Files.readAllBytes(TestApps.build(Path.of("src/test/c/esp_writable.c"), "x86_64"));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(60_000), PeImageFile::parse)) {
            long device = new EspDevice(fw, new EspSandbox(esp, true)).handle().address();
            RunOutcome o = fw.runPayload(app, "esp_writable.efi", null, device, DevicePath.filePath("\\app.efi"));
            String why = o.fault() != null ? o.fault().format() : "line " + (o.status() & 0xfffff);
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);
            // the refused SetInfo changes are counted by service and argument for the summary
            var unsupported = fw.machine().traps().unsupportedCalls();
            assertEquals(1, unsupported.get("File.SetInfo(CreateTime)"), unsupported.toString());
            assertEquals(1, unsupported.get("File.SetInfo(file attributes 0x22)"), unsupported.toString());
        }
        assertEquals("title", Files.readString(esp.resolve("loader/entry.conf")));
        assertTrue(!Files.exists(esp.resolve("loader/renamed.conf")), "renamed back");
        assertTrue(!Files.exists(esp.resolve("loader/readonly-rename.conf")));
        assertEquals(java.time.Instant.parse("2001-02-03T04:05:06Z"), Files.getLastModifiedTime(esp.resolve("loader/entry.conf")).toInstant());
        assertTrue(!Files.exists(esp.resolve("loader/scratch.tmp")));
    }

    /** --esp-writable with a payload from outside the ESP: the payload's own file is never written, truncated or deleted. */
    @Test
    void payloadFromOutsideStaysReadOnlyOnAWritableEsp() throws Exception {
        Path esp = esp();
        Path payload = tmp.resolve("payload.efi");
        Files.copy(TestApps.build(Path.of("src/test/c/payload_readonly.c"), "x86_64"), payload);
        byte[] before = Files.readAllBytes(payload);
        var modified = Files.getLastModifiedTime(payload);
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(60_000), PeImageFile::parse)) {
            EspDevice.Placement where = EspDevice.servePayload(fw, esp, true, payload);
            assertEquals("\\EFI\\Linux\\payload.efi", where.path());
            RunOutcome o = fw.runPayload(before, "payload.efi", null, where.device(), DevicePath.filePath(where.path()));
            String why = o.fault() != null ? o.fault().format() : "line " + (o.status() & 0xfffff);
            assertEquals(RunOutcome.Kind.RETURNED, o.kind(), why);
            assertEquals(Status.SUCCESS, o.status(), why);
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(payload)), "the payload file is unchanged");
        assertEquals(modified, Files.getLastModifiedTime(payload));
        assertTrue(Files.exists(esp.resolve("EFI/Linux/other.txt")), "the rest of the ESP was writable");
        assertTrue(!Files.exists(esp.resolve("EFI/Linux/payload.efi")), "nothing was created in its place");
    }

    /** --esp-disk stages a copy of the ESP and builds a FAT image in the temporary directory: neither outlives the set-up. */
    @Test
    void espDiskLeavesNothingInTheTemporaryDirectory() throws Exception {
        Path esp = esp();
        Path payload = tmp.resolve("payload.efi");
        Files.copy(TestApps.build(Path.of("src/test/c/payload_readonly.c"), "x86_64"), payload);
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<java.util.Set<Path>> leftovers = () -> {
            try (var s = Files.list(temp)) {
                return s.filter(p -> p.getFileName().toString().startsWith("efiemu-esp-disk")).collect(java.util.stream.Collectors.toSet());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        java.util.Set<Path> before = leftovers.get();
        try (Firmware fw = new Firmware(MachineConfig.defaults().withBudget(60_000), PeImageFile::parse)) {
            EspDevice.servePayload(fw, esp, false, payload, true);
            assertEquals(2, fw.machine().handles().withProtocol(BlockIo.GUID).size(), "disk and partition");
            assertEquals(before, leftovers.get(), "the staged ESP and the image are gone once the devices have the image open");
        }
        assertEquals(before, leftovers.get());
    }
}
