package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A dump the kernel's own console messages cut into still decodes to its bytes; other text is refused. */
class ConsoleDumpTest {
    @Test
    void kernelMessagesOnTheirOwnLinesAndInsideALineAreLeftOut() {
        byte[] bytes = new byte[300];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 7);
        String b64 = Base64.getEncoder().encodeToString(bytes);
        List<String> lines = new ArrayList<>(List.of("boot", "EFIEMU-TPMLOG-BEGIN"));
        lines.add(b64.substring(0, 76));
        lines.add("[   41.123456] clocksource: timekeeping watchdog on CPU0: Marking clocksource 'tsc' as unstable");
        lines.add(b64.substring(76, 100) + "[   42.000001] random: crng init done"); // a message in mid-line
        lines.add(b64.substring(100, 152));                                               // the rest of that line
        lines.add(b64.substring(152));
        lines.add("EFIEMU-TPMLOG-END");
        assertArrayEquals(bytes, ConsoleDump.base64Between(lines, "EFIEMU-TPMLOG-BEGIN", "EFIEMU-TPMLOG-END"));
    }

    @Test
    void otherTextOrAMissingMarkerIsAnError() {
        List<String> lines = List.of("EFIEMU-TPMLOG-BEGIN", "QUJD", "Kernel panic - not syncing", "EFIEMU-TPMLOG-END");
        assertThrows(AssertionError.class, () -> ConsoleDump.base64Between(lines, "EFIEMU-TPMLOG-BEGIN", "EFIEMU-TPMLOG-END"));
        assertThrows(AssertionError.class, () -> ConsoleDump.base64Between(List.of("QUJD"), "EFIEMU-TPMLOG-BEGIN", "EFIEMU-TPMLOG-END"));
    }
}
