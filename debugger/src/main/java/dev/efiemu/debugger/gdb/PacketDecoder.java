package dev.efiemu.debugger.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The receiving half of the RSP codec ({@link Rsp} frames what we send): turns the client's bytes
 * into packets, interrupts and acknowledgements. A packet is {@code $payload#cs}; the checksum is
 * the sum of the payload bytes as they arrive, escapes included, and the payload is returned with
 * its escapes in place (only binary data, as in X packets, is unescaped, by {@link Rsp#unescape}).
 * A '$' inside a packet restarts it.
 */
final class PacketDecoder {
    /** What the client sent. */
    sealed interface Input permits Packet, Rejected, Control {}

    /** A well-formed packet: acknowledge it ('+') and answer it. */
    record Packet(String payload) implements Input {}

    /**
     * A packet to refuse with '-': longer than the packet size (its body cut there), or with a bad
     * or non-hex checksum.
     */
    record Rejected(boolean overflow, String body) implements Input {}

    /** Single bytes outside packets that mean something. */
    enum Control implements Input {
        /** 0x03, Ctrl-C. */
        INTERRUPT,
        /** '-': the client wants our last packet again. */
        RESEND
    }

    private final int maxPacket;

    PacketDecoder(int maxPacket) {
        this.maxPacket = maxPacket;
    }

    /**
     * The next thing the client sent, skipping '+' and stray bytes between packets; null at the end
     * of the stream (also inside a packet).
     */
    Input next(InputStream in) throws IOException {
        int c;
        while ((c = in.read()) >= 0) {
            switch (c) {
                case '$' -> {
                    return packet(in);
                }
                case 0x03 -> {
                    return Control.INTERRUPT;
                }
                case '-' -> {
                    return Control.RESEND;
                }
                default -> {
                    // '+' and stray bytes between packets
                }
            }
        }
        return null;
    }

    /** Reads up to '#' and the two checksum digits. */
    private Input packet(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(64);
        boolean overflow = false;
        int sum = 0;
        int c;
        while (true) {
            c = in.read();
            if (c < 0) return null;
            if (c == '#') break;
            if (c == '$') { // the client restarted the packet
                body.reset();
                overflow = false;
                sum = 0;
                continue;
            }
            sum += c;
            if (body.size() < maxPacket) {
                body.write(c);
            } else {
                overflow = true;
            }
        }
        int h = in.read(), l = in.read();
        if (h < 0 || l < 0) return null;
        int dh = Rsp.digit(h), dl = Rsp.digit(l);
        String text = body.toString(StandardCharsets.ISO_8859_1);
        if (overflow) return new Rejected(true, text);
        if (dh < 0 || dl < 0 || (dh << 4 | dl) != (sum & 0xff)) return new Rejected(false, text);
        return new Packet(text);
    }
}
