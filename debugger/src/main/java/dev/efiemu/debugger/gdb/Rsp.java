package dev.efiemu.debugger.gdb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GDB Remote Serial Protocol encodings: framing of what we send (checksum over the escaped bytes),
 * hex, little-endian register values, binary escapes. {@link PacketDecoder} reads what the client sends.
 */
final class Rsp {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Rsp() {}

    static int checksum(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) sum += b[i] & 0xff;
        return sum & 0xff;
    }

    /** A whole packet: {@code $payload#cs}, with '$', '#', '}' and '*' in the payload escaped. */
    static byte[] frame(String payload) {
        byte[] raw = payload.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream body = new ByteArrayOutputStream(raw.length + 8);
        for (byte x : raw) {
            if (x == '$' || x == '#' || x == '}' || x == '*') {
                body.write('}');
                body.write(x ^ 0x20);
            } else {
                body.write(x);
            }
        }
        byte[] b = body.toByteArray();
        int cs = checksum(b, 0, b.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 4);
        out.write('$');
        out.writeBytes(b);
        out.write('#');
        out.write(HEX[cs >> 4]);
        out.write(HEX[cs & 15]);
        return out.toByteArray();
    }

    /** Removes '}' escapes from a binary payload (X packets). */
    static byte[] unescape(byte[] b, int off, int len) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len);
        for (int i = off; i < off + len; i++) {
            if (b[i] == '}' && i + 1 < off + len) {
                out.write(b[++i] ^ 0x20);
            } else {
                out.write(b[i]);
            }
        }
        return out.toByteArray();
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) s.append(HEX[(x >> 4) & 15]).append(HEX[x & 15]);
        return s.toString();
    }

    static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    static int digit(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** Hex digits to bytes; throws IllegalArgumentException on odd length or a non-hex digit. */
    static byte[] unhex(String s) {
        if ((s.length() & 1) != 0) throw new IllegalArgumentException("odd number of hex digits");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = digit(s.charAt(2 * i)), lo = digit(s.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("not hex: " + s.substring(2 * i, 2 * i + 2));
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    /** A big-endian hex number as the protocol writes addresses and lengths (at most 16 digits). */
    static long number(String s) {
        if (s.isEmpty() || s.length() > 16) throw new IllegalArgumentException("bad number '" + s + "'");
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            int d = digit(s.charAt(i));
            if (d < 0) throw new IllegalArgumentException("bad number '" + s + "'");
            v = v << 4 | d;
        }
        return v;
    }

    /** {@code bytes} of {@code v} in target (little-endian) order, as hex. */
    static String le(long v, int bytes) {
        StringBuilder s = new StringBuilder(bytes * 2);
        for (int i = 0; i < bytes; i++) {
            int x = (int) (i < 8 ? (v >>> (8 * i)) & 0xff : 0);
            s.append(HEX[x >> 4]).append(HEX[x & 15]);
        }
        return s.toString();
    }

    /** Little-endian hex (as in g/p packets) to a value; at most the first 8 bytes count. */
    static long le(String hex) {
        byte[] b = unhex(hex);
        long v = 0;
        for (int i = Math.min(8, b.length) - 1; i >= 0; i--) v = v << 8 | (b[i] & 0xff);
        return v;
    }

    static String unhexText(String hex) {
        return new String(unhex(hex), StandardCharsets.UTF_8);
    }
}
