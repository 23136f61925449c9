package dev.efiemu.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Engine selection against stand-in engines: by name, auto, and the one-line refusals. */
class CpusTest {
    record Fake(String name, int preference, Set<Arch> arches, String whyNot) implements CpuEngine {
        @Override
        public boolean supports(Arch arch) {
            return arches.contains(arch);
        }

        @Override
        public Availability availability() {
            return whyNot == null ? Availability.available(new EngineInfo(name, "1", "here", true, null))
                    : Availability.unavailable(whyNot);
        }

        @Override
        public Cpu open(Arch arch) {
            throw new UnsupportedOperationException();
        }
    }

    static final Fake UNICORN = new Fake("unicorn", 0, Set.of(Arch.X86_64, Arch.AARCH64), null);
    static final Fake KVM = new Fake("kvm", 10, Set.of(Arch.X86_64), null);
    static final Fake NO_KVM = new Fake("kvm", 10, Set.of(Arch.X86_64), "/dev/kvm: permission denied");
    static final Fake NO_UNICORN = new Fake("unicorn", 0, Set.of(Arch.X86_64, Arch.AARCH64), "Unicorn library not found");

    static String pick(List<CpuEngine> all, String name, Arch arch) {
        return Cpus.select(Cpus.sorted(all), name, arch).engine().name();
    }

    static String refusal(List<CpuEngine> all, String name, Arch arch) {
        return assertThrows(EngineUnavailableException.class, () -> Cpus.select(Cpus.sorted(all), name, arch)).getMessage();
    }

    @Test
    void autoTakesTheMostPreferredAvailableEngineThatRunsTheArch() {
        assertEquals("kvm", pick(List.of(UNICORN, KVM), "auto", Arch.X86_64));
        assertEquals("kvm", pick(List.of(UNICORN, KVM), null, null));
        assertEquals("unicorn", pick(List.of(UNICORN, KVM), "auto", Arch.AARCH64));
        assertEquals("unicorn", pick(List.of(NO_KVM, UNICORN), "auto", Arch.X86_64));
    }

    @Test
    void autoSaysWhyItPassedOverAMorePreferredEngine() {
        assertEquals("kvm: /dev/kvm: permission denied", Cpus.select(Cpus.sorted(List.of(NO_KVM, UNICORN)), "auto", Arch.X86_64).fallback());
        assertEquals(null, Cpus.select(Cpus.sorted(List.of(KVM, UNICORN)), "auto", Arch.X86_64).fallback());
        assertEquals(null, Cpus.select(Cpus.sorted(List.of(KVM, UNICORN)), "auto", Arch.AARCH64).fallback(),
                "an engine that cannot run the architecture is no fallback");
        assertEquals(null, Cpus.select(Cpus.sorted(List.of(NO_KVM, UNICORN)), "unicorn", Arch.X86_64).fallback());
    }

    @Test
    void aNamePicksThatEngine() {
        assertEquals("unicorn", pick(List.of(UNICORN, KVM), "unicorn", Arch.X86_64));
        assertEquals("unicorn", pick(List.of(UNICORN, KVM), " Unicorn ", Arch.X86_64));
        assertEquals("/dev/kvm: permission denied", refusal(List.of(UNICORN, NO_KVM), "kvm", Arch.X86_64));
        assertEquals("the kvm engine cannot run AARCH64 guests", refusal(List.of(UNICORN, KVM), "kvm", Arch.AARCH64));
        assertEquals("unknown CPU engine 'qemu' (known: kvm, unicorn, auto)", refusal(List.of(UNICORN, KVM), "qemu", null));
    }

    @Test
    void nothingAvailableIsOneLine() {
        assertEquals("Unicorn library not found", refusal(List.of(NO_UNICORN), "auto", Arch.X86_64), "a lone engine's own words");
        assertEquals("no CPU engine available (kvm: /dev/kvm: permission denied; unicorn: Unicorn library not found)",
                refusal(List.of(NO_UNICORN, NO_KVM), "auto", Arch.X86_64));
        assertEquals("no CPU engine available (kvm: cannot run AARCH64 guests; unicorn: Unicorn library not found)",
                refusal(List.of(NO_UNICORN, KVM), "auto", Arch.AARCH64));
        assertEquals("no CPU engine on the class path (an engine module registers one in META-INF/services/dev.efiemu.cpu.CpuEngine)",
                refusal(List.of(), "auto", Arch.X86_64));
    }
}
