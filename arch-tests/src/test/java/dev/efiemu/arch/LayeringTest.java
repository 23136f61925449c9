package dev.efiemu.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.efiemu.core.machine.Machine;
import java.util.List;

/**
 * The module rules of docs/architecture.md as tests over every module's main classes: who may
 * touch JNA, which way modules depend on each other.
 *
 * <p>Each rule is checked from an {@code @ArchTest} method, not declared as an {@code @ArchTest}
 * field: Surefire 3.5.3 (this build's) silently skips field rules (TNG/ArchUnit#1442).
 */
@AnalyzeClasses(packages = "dev.efiemu", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    /** One package of each module: the rules must see them all, or they pass over nothing. */
    static final List<String> MODULE_PACKAGES = List.of("dev.efiemu.cpu", "dev.efiemu.engine.unicorn", "dev.efiemu.engine.kvm", "dev.efiemu.host",
            "dev.efiemu.loader", "dev.efiemu.fixtures", "dev.efiemu.core", "dev.efiemu.protocols", "dev.efiemu.debugger.gdb",
            "dev.efiemu.session", "dev.efiemu.cli");

    @ArchTest
    static void importsEveryModule(JavaClasses classes) {
        assertTrue(classes.size() > 200, "imported only " + classes.size() + " classes");
        for (String p : MODULE_PACKAGES) assertTrue(classes.containPackage(p), "no classes of " + p + " imported");
        boolean engineUsesJna = classes.stream()
                .filter(c -> c.getPackageName().startsWith("dev.efiemu.engine."))
                .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                .anyMatch(d -> d.getTargetClass().getPackageName().startsWith("com.sun.jna"));
        assertTrue(engineUsesJna, "the engine's JNA dependencies are not visible: the JNA rule would pass vacuously");
    }

    static final ArchRule ONLY_ENGINES_AND_HOST_TOUCH_JNA = noClasses()
            .that().resideOutsideOfPackages("dev.efiemu.engine..", "dev.efiemu.host..")
            .should().dependOnClassesThat().resideInAPackage("com.sun.jna..")
            .because("native code is reached only from an engine module (behind the Cpu interface) and from host (kexec_load)");

    @ArchTest
    static void onlyEnginesAndHostTouchJna(JavaClasses classes) {
        ONLY_ENGINES_AND_HOST_TOUCH_JNA.check(classes);
    }

    static final ArchRule CPU_API_STANDS_ALONE = noClasses()
            .that().resideInAPackage("dev.efiemu.cpu..")
            .should().dependOnClassesThat(resideInAPackage("dev.efiemu..").and(not(resideInAPackage("dev.efiemu.cpu.."))))
            .orShould().dependOnClassesThat().resideInAPackage("com.sun.jna..")
            .because("cpu-api is the engine-neutral interface: no engine, no JNA");

    @ArchTest
    static void cpuApiStandsAlone(JavaClasses classes) {
        CPU_API_STANDS_ALONE.check(classes);
    }

    static final ArchRule LOADER_DEPENDS_ON_NOTHING_OF_OURS = noClasses()
            .that().resideInAPackage("dev.efiemu.loader..")
            .should().dependOnClassesThat(resideInAPackage("dev.efiemu..").and(not(resideInAPackage("dev.efiemu.loader.."))))
            .because("the loader parses and verifies files; it never knows the emulator");

    @ArchTest
    static void loaderDependsOnNothingOfOurs(JavaClasses classes) {
        LOADER_DEPENDS_ON_NOTHING_OF_OURS.check(classes);
    }

    static final ArchRule CORE_KNOWS_NO_ENGINE = noClasses()
            .that().resideInAPackage("dev.efiemu.core..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.efiemu.engine..", "dev.efiemu.host..", "dev.efiemu.protocols..",
                    "dev.efiemu.debugger..", "dev.efiemu.cli..", "dev.efiemu.fixtures..")
            .because("emulator-core compiles against cpu-api and loader only; engines come in at run time");

    @ArchTest
    static void coreKnowsNoEngineNorWhatIsBuiltOnIt(JavaClasses classes) {
        CORE_KNOWS_NO_ENGINE.check(classes);
    }

    static final ArchRule PROTOCOLS_NEVER_REACH_ENGINE_OR_CLI = noClasses()
            .that().resideInAPackage("dev.efiemu.protocols..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.efiemu.engine..", "dev.efiemu.cpu..", "dev.efiemu.host..",
                    "dev.efiemu.debugger..", "dev.efiemu.cli..")
            .because("protocols see the firmware through ProtocolHost and guest memory through typed accessors");

    @ArchTest
    static void protocolsNeverReachEngineOrCli(JavaClasses classes) {
        PROTOCOLS_NEVER_REACH_ENGINE_OR_CLI.check(classes);
    }

    static final ArchRule PROTOCOLS_NEVER_SEE_THE_MACHINE = noClasses()
            .that().resideInAPackage("dev.efiemu.protocols..")
            .should().dependOnClassesThat().belongToAnyOf(Machine.class)
            .because("protocols get the narrow ProtocolHost, not the Machine");

    @ArchTest
    static void protocolsNeverSeeTheMachine(JavaClasses classes) {
        PROTOCOLS_NEVER_SEE_THE_MACHINE.check(classes);
    }

    static final ArchRule DEBUGGER_USES_THE_SEAM = noClasses()
            .that().resideInAPackage("dev.efiemu.debugger..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.efiemu.engine..", "dev.efiemu.protocols..", "dev.efiemu.cli..",
                    "com.sun.jna..")
            .because("the debugger drives the Machine through ExecutionControl and the Cpu interface");

    @ArchTest
    static void debuggerUsesTheSeamNotTheEngine(JavaClasses classes) {
        DEBUGGER_USES_THE_SEAM.check(classes);
    }
}
