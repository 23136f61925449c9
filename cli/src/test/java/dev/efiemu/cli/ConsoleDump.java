package dev.efiemu.cli;

import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Bytes the marker initrd's init prints on the serial console as base64 between two marker lines
 * (fixtures/src/main/c/init.c: the kernel's TPM event log). The kernel writes to the same console,
 * so a message of its own ("[   12.345678] …", printk with its timestamp) can land in the dump: on
 * a line of its own, or in the middle of a base64 line, whose rest then follows on the next line.
 */
final class ConsoleDump {
    private static final Pattern PRINTK = Pattern.compile("\\[\\s*\\d+\\.\\d+\\].*$");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=]*");

    private ConsoleDump() {}

    /** The bytes between the lines {@code begin} and {@code end}, kernel messages left out. */
    static byte[] base64Between(List<String> lines, String begin, String end) {
        int b = lines.indexOf(begin), e = lines.indexOf(end);
        if (b < 0 || e <= b) throw new AssertionError("no " + begin + " ... " + end + " on the console:\n" + String.join("\n", lines));
        StringBuilder s = new StringBuilder();
        for (String line : lines.subList(b + 1, e)) {
            String data = PRINTK.matcher(line).replaceFirst("").strip();
            if (!BASE64.matcher(data).matches()) throw new AssertionError("not base64 between " + begin + " and " + end + ": " + line);
            s.append(data);
        }
        return Base64.getDecoder().decode(s.toString());
    }
}
