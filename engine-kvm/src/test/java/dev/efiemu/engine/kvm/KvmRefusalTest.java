package dev.efiemu.engine.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.CpuEngine;
import dev.efiemu.cpu.Cpus;
import dev.efiemu.cpu.EngineUnavailableException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KVM device that is missing or unusable is one line with the errno's meaning (issue 13, "Bad
 * input"). These run on any machine: the device is named explicitly, so none of them depends on
 * whether this host has /dev/kvm.
 */
class KvmRefusalTest {
    @TempDir
    Path tmp;

    static String refusal(String device) {
        String old = System.getProperty(KvmProbe.DEVICE_PROPERTY);
        System.setProperty(KvmProbe.DEVICE_PROPERTY, device);
        try {
            CpuEngine.Availability a = new KvmEngine().availability();
            assertFalse(a.isAvailable(), device + " should not be usable");
            String why = a.reason();
            assertEquals(why, assertThrows(EngineUnavailableException.class, () -> new KvmEngine().open(Arch.X86_64)).getMessage());
            assertFalse(why.contains("\n"), "one line: " + why);
            return why;
        } finally {
            if (old == null) System.clearProperty(KvmProbe.DEVICE_PROPERTY);
            else System.setProperty(KvmProbe.DEVICE_PROPERTY, old);
        }
    }

    @Test
    void aMissingDeviceSaysSoWithTheErrno() {
        Path none = tmp.resolve("kvm");
        assertEquals("kvm: cannot open " + none + ": ENOENT (No such file or directory): this host has no KVM (load kvm-intel or kvm-amd;"
                + " inside a VM, nested virtualization must be on)", refusal(none.toString()));
    }

    @Test
    void aDeviceThatIsNotKvmIsRefusedAtTheApiVersion() {
        assertEquals("kvm: /dev/null is not a KVM device: KVM_GET_API_VERSION failed: ENOTTY (Inappropriate ioctl for device)",
                refusal("/dev/null"));
    }

    @Test
    void aDirectoryIsRefusedAtOpen() {
        assertEquals("kvm: cannot open " + tmp + ": EISDIR (Is a directory)", refusal(tmp.toString()));
    }

    @Test
    void theEngineIsRegisteredAndPreferredForX86Only() {
        CpuEngine kvm = Cpus.engines().stream().filter(e -> e.name().equals("kvm")).findFirst().orElseThrow();
        assertTrue(kvm.preference() > 0, "auto tries KVM before Unicorn (preference 0)");
        assertTrue(kvm.supports(Arch.X86_64));
        assertFalse(kvm.supports(Arch.AARCH64));
    }
}
