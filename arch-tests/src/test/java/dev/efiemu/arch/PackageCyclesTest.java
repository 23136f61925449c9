package dev.efiemu.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * No package cycles: every package of ours (each one a slice, the root package dev.efiemu.core as
 * much as its subpackages) depends only on packages that do not depend back on it.
 */
@AnalyzeClasses(packages = "dev.efiemu", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageCyclesTest {
    static final ArchRule NO_PACKAGE_CYCLES = slices().matching("dev.efiemu.(**)")
            .should().beFreeOfCycles()
            .because("a package that depends on another must not be depended on by it (docs/architecture.md, Packages)");

    @ArchTest
    static void packagesAreFreeOfCycles(JavaClasses classes) {
        long packages = classes.stream().map(JavaClass::getPackageName).distinct().count();
        assertTrue(packages >= 25, "only " + packages + " packages imported");
        NO_PACKAGE_CYCLES.check(classes);
    }
}
