package dev.efiemu.loader.fuzz;

import dev.efiemu.loader.FormatException;

/**
 * What every fuzz target checks: the parser under test accepts the input or refuses it with the
 * one-line {@link FormatException}; any other exception, an error, a multi-line message or a hang
 * is a finding. Targets run in every build in Jazzer's regression mode over the committed seeds
 * ({@code <Target>Inputs/} in the test resources); {@code bench/fuzz.sh MINUTES} fuzzes them.
 */
final class Fuzz {
    private Fuzz() {}

    /** Runs {@code parser}; a FormatException must be one line. Returns whether it accepted the input. */
    static boolean accepts(Runnable parser) {
        try {
            parser.run();
            return true;
        } catch (FormatException e) {
            String m = e.getMessage();
            if (m == null || m.isEmpty() || m.indexOf('\n') >= 0) {
                throw new AssertionError("a FormatException must be one line: [" + m + "]", e);
            }
            return false;
        }
    }
}
