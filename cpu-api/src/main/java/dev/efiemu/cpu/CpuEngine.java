package dev.efiemu.cpu;

/**
 * A CPU engine backend (Unicorn today; KVM, a newer Unicorn later). An engine module registers its
 * implementation with {@link java.util.ServiceLoader} in
 * {@code META-INF/services/dev.efiemu.cpu.CpuEngine}; {@link Cpus} finds the engines and picks one by
 * name, so nothing above the {@link Cpu} API names an engine.
 */
public interface CpuEngine {
    /** What a user picks it by ({@code unicorn}, {@code kvm}): lower case, never {@value Cpus#AUTO}. */
    String name();

    /** {@value Cpus#AUTO} tries engines with a higher preference first; ties go by name. */
    default int preference() {
        return 0;
    }

    /** Whether the engine can run {@code arch} guests at all (on a host where it is available). */
    boolean supports(Arch arch);

    /**
     * Whether the engine can run on this host, loading it (once per JVM) to find out. An engine that
     * is merely missing is no error: its reason says in one line what is missing and how to get it.
     */
    Availability availability();

    /** A new CPU with no memory mapped. Called only after {@link #availability()} said it is available. */
    Cpu open(Arch arch);

    /**
     * An engine's answer to "can you run here?".
     *
     * @param info   the loaded engine, or null when unavailable
     * @param reason one line saying why it is unavailable, or null when available
     */
    record Availability(EngineInfo info, String reason) {
        public Availability {
            if ((info == null) == (reason == null)) throw new IllegalArgumentException("exactly one of info and reason");
        }

        public static Availability available(EngineInfo info) {
            return new Availability(info, null);
        }

        public static Availability unavailable(String reason) {
            return new Availability(null, reason);
        }

        public boolean isAvailable() {
            return info != null;
        }
    }
}
