package dev.efiemu.cpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Creates CPUs. The engines are the {@link CpuEngine}s registered with {@link ServiceLoader}; a name
 * picks one ({@code unicorn}), {@value #AUTO} the most preferred one that is available here. The
 * single place that decides which engine backs {@link Cpu}.
 */
public final class Cpus {
    /** The engine name that means "the most preferred engine available on this host". */
    public static final String AUTO = "auto";

    private Cpus() {}

    /** The registered engines, most preferred first (loaded once). */
    public static List<CpuEngine> engines() {
        return Registered.ENGINES;
    }

    /** A new CPU with no memory mapped, on the {@value #AUTO} engine. */
    public static Cpu open(Arch arch) {
        return open(arch, AUTO);
    }

    /**
     * A new CPU with no memory mapped, on the engine named {@code engine} ({@value #AUTO}: the most
     * preferred available one).
     *
     * @throws EngineUnavailableException with one line saying why no engine can run the guest
     */
    public static Cpu open(Arch arch, String engine) {
        return choose(arch, engine).open(arch);
    }

    /**
     * The engine that would run {@code arch} guests for the name {@code engine} ({@value #AUTO}: the
     * most preferred available one), with why {@value #AUTO} passed over more preferred engines.
     *
     * @throws EngineUnavailableException with one line saying why no engine can run the guest
     */
    public static Selected choose(Arch arch, String engine) {
        return select(engines(), engine, arch);
    }

    /** Diagnostic entry point: prints the engine that would run guests, or the reason none loads (exit 1). */
    public static void main(String[] args) {
        try {
            System.out.println(engine());
        } catch (EngineUnavailableException e) {
            System.err.println("efiemu: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Loads the {@value #AUTO} engine (once) and describes it; throws {@link EngineUnavailableException} if none loads. */
    public static EngineInfo engine() {
        return engine(AUTO);
    }

    /** Loads the engine named {@code name} (once) and describes it; throws {@link EngineUnavailableException} if it cannot run here. */
    public static EngineInfo engine(String name) {
        return select(engines(), name, null).info();
    }

    /**
     * An engine that is available, and what it said about itself.
     *
     * @param fallback for {@value #AUTO}: one line saying which more preferred engines could not run here
     *                 and why ("kvm: /dev/kvm: ..."), or null when the first choice ran
     */
    public record Selected(CpuEngine engine, EngineInfo info, String fallback) {
        /** A new CPU with no memory mapped on this engine. */
        public Cpu open(Arch arch) {
            return engine.open(arch);
        }
    }

    /**
     * Picks from {@code all} (most preferred first) the engine named {@code name}, or for {@value #AUTO}
     * the first that supports {@code arch} (null: any) and is available.
     *
     * @throws EngineUnavailableException with one line: what was asked for and why nothing fits
     */
    static Selected select(List<CpuEngine> all, String name, Arch arch) {
        String want = name == null || name.isBlank() ? AUTO : name.strip().toLowerCase(Locale.ROOT);
        if (all.isEmpty()) {
            throw new EngineUnavailableException("no CPU engine on the class path (an engine module registers one in "
                    + "META-INF/services/" + CpuEngine.class.getName() + ")");
        }
        if (!want.equals(AUTO)) {
            CpuEngine e = all.stream().filter(x -> x.name().equals(want)).findFirst()
                    .orElseThrow(() -> new EngineUnavailableException("unknown CPU engine '" + name + "' (known: "
                            + all.stream().map(CpuEngine::name).collect(Collectors.joining(", ")) + ", " + AUTO + ")"));
            if (arch != null && !e.supports(arch)) {
                throw new EngineUnavailableException("the " + e.name() + " engine cannot run " + arch + " guests");
            }
            CpuEngine.Availability a = e.availability();
            if (!a.isAvailable()) throw new EngineUnavailableException(a.reason());
            return new Selected(e, a.info(), null);
        }
        List<String> why = new ArrayList<>();
        List<String> unavailable = new ArrayList<>();
        for (CpuEngine e : all) {
            if (arch != null && !e.supports(arch)) {
                why.add(e.name() + ": cannot run " + arch + " guests");
                continue;
            }
            CpuEngine.Availability a = e.availability();
            if (a.isAvailable()) return new Selected(e, a.info(), unavailable.isEmpty() ? null : String.join("; ", unavailable));
            if (all.size() == 1) throw new EngineUnavailableException(a.reason()); // the engine's own words
            String named = a.reason().startsWith(e.name() + ":") ? a.reason() : e.name() + ": " + a.reason();
            why.add(named);
            unavailable.add(named);
        }
        throw new EngineUnavailableException("no CPU engine available (" + String.join("; ", why) + ")");
    }

    static List<CpuEngine> sorted(Iterable<CpuEngine> engines) {
        List<CpuEngine> l = new ArrayList<>();
        engines.forEach(l::add);
        l.sort(Comparator.comparingInt(CpuEngine::preference).reversed().thenComparing(CpuEngine::name));
        return List.copyOf(l);
    }

    private static final class Registered {
        static final List<CpuEngine> ENGINES = sorted(ServiceLoader.load(CpuEngine.class));
    }
}
