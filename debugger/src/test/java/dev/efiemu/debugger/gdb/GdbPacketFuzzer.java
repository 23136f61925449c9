package dev.efiemu.debugger.gdb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The GDB remote protocol's input side, on whatever a client sends: the packet decoder (framing,
 * checksums, '$' restarts, oversize), then what the commands parse out of a packet (escapes, hex
 * numbers, hex data, little-endian register values). Only IllegalArgumentException may come out
 * of the field parsers (the dispatcher answers it with "E01"); and every payload the stub frames
 * must decode back to itself.
 */
public class GdbPacketFuzzer {
    static final int MAX = 256;

    @FuzzTest(maxDuration = "10m")
    void packets(byte[] data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        PacketDecoder d = new PacketDecoder(MAX);
        ByteArrayInputStream in = new ByteArrayInputStream(data);
        try {
            PacketDecoder.Input input;
            while ((input = d.next(in)) != null) {
                if (input instanceof PacketDecoder.Packet p) fields(p.payload());
                else if (input instanceof PacketDecoder.Rejected r && !r.overflow() && r.body().length() > MAX) {
                    throw new AssertionError("a rejected packet longer than the limit was kept");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // framing round trip: what the stub sends decodes to what it meant
        String payload = new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (payload.length() <= MAX / 2) {
            byte[] frame = Rsp.frame(payload);
            try {
                PacketDecoder.Input back = new PacketDecoder(4 * MAX).next(new ByteArrayInputStream(frame));
                if (!(back instanceof PacketDecoder.Packet p)) throw new AssertionError("own frame rejected: " + back);
                byte[] raw = p.payload().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                byte[] unescaped = Rsp.unescape(raw, 0, raw.length);
                if (!Arrays.equals(unescaped, payload.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))) {
                    throw new AssertionError("frame/unescape round trip changed the payload");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Splits a payload the way the commands do and parses each field. */
    static void fields(String payload) {
        byte[] raw = payload.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Rsp.unescape(raw, 0, raw.length);
        int start = 0;
        for (int i = 0; i <= payload.length(); i++) {
            if (i < payload.length() && ",:;=".indexOf(payload.charAt(i)) < 0) continue;
            String f = payload.substring(start, i);
            start = i + 1;
            String body = f.isEmpty() ? f : f.substring(1);
            rejectOnlyIllegalArgument(() -> Rsp.number(body));
            rejectOnlyIllegalArgument(() -> Rsp.unhex(body));
            rejectOnlyIllegalArgument(() -> Rsp.le(body));
            rejectOnlyIllegalArgument(() -> Rsp.unhexText(body));
        }
    }

    static void rejectOnlyIllegalArgument(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException expected) {
            // answered with E01
        }
    }
}
