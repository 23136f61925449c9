package dev.efiemu.engine.kvm;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.Cpu;
import dev.efiemu.cpu.CpuEngine;
import dev.efiemu.cpu.EngineUnavailableException;

/**
 * The KVM engine (docs/kvm.md), registered with {@link java.util.ServiceLoader}: x86_64 guests on
 * this host's /dev/kvm. Preferred over Unicorn by {@code auto} wherever the device works; probed
 * once per JVM and device.
 */
public final class KvmEngine implements CpuEngine {
    private static String probed;
    private static Availability cached;

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public int preference() {
        return 10;
    }

    @Override
    public boolean supports(Arch arch) {
        return arch == Arch.X86_64;
    }

    @Override
    public Availability availability() {
        String device = KvmProbe.device();
        synchronized (KvmEngine.class) {
            if (cached == null || !device.equals(probed)) {
                cached = probe(device);
                probed = device;
            }
            return cached;
        }
    }

    private static Availability probe(String device) {
        if (!System.getProperty("os.arch", "").equals("amd64")) {
            return Availability.unavailable("kvm: efiemu's KVM engine runs x86_64 guests on x86_64 hosts only (this is "
                    + System.getProperty("os.arch") + ")");
        }
        try {
            return Availability.available(KvmProbe.probe(device));
        } catch (EngineUnavailableException e) {
            return Availability.unavailable(e.getMessage());
        } catch (LinkageError e) {
            return Availability.unavailable("kvm: cannot load the KVM binding (JNA): " + e);
        }
    }

    @Override
    public Cpu open(Arch arch) {
        if (arch != Arch.X86_64) throw new EngineUnavailableException("the kvm engine cannot run " + arch + " guests");
        Availability a = availability();
        if (!a.isAvailable()) throw new EngineUnavailableException(a.reason());
        return new KvmCpu(a.info(), a.info().location());
    }
}
