package dev.efiemu.engine.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.CpuException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The one Unicorn internal efiemu writes is only written on the pinned build, after checking its code. */
class ExitChecksTest {
    @Test
    void theFlagIsWrittenOnlyOnThePinnedLibraryWhoseCodeMatches() {
        if ("slow".equals(System.getProperty("efiemu.expect.engine"))) {
            // Debian's 2.0.1 (the fallback execution): not the pinned build, the checks stay.
            assertFalse(UnicornLibrary.isPinned());
            assertFalse(ExitChecks.usable(Arch.X86_64));
            return;
        }
        // The set-up's fast library must be the pinned one, and then the flag is usable for both
        // architectures (the first bytes of both helpers were compared).
        assertTrue(UnicornLibrary.isPinned(), "the test JVM should load the pinned Unicorn build");
        assertTrue(ExitChecks.usable(Arch.X86_64));
        assertTrue(ExitChecks.usable(Arch.AARCH64));
    }

    @Test
    void differentCodeIsRefusedWithOneLineNamingTheSymbol() {
        byte[] expected = HexFormat.of().parseHex("488bb77099000080bef20700000074" + "08c3");
        byte[] moved = expected.clone();
        moved[9] = (byte) 0xf3; // the field one byte further on
        CpuException e = assertThrows(CpuException.class, () -> ExitChecks.check("check_exit_request_x86_64", expected, moved));
        assertEquals("unicorn: check_exit_request_x86_64 begins with 488bb77099000080bef30700000074" + "08c3, not "
                + "488bb77099000080bef20700000074" + "08c3 (uc_struct.no_exit_request at 0x7f2): efiemu's ExitChecks do not"
                + " match the pinned library", e.getMessage());
        ExitChecks.check("check_exit_request_x86_64", expected, expected.clone());
    }
}
