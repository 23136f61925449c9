package dev.efiemu.debugger.gdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The codec without a socket: framing, checksums over the bytes as sent, escapes, and what the decoder makes of bad input. */
class RspCodecTest {
    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static InputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void framingEscapesAndChecksumsTheEscapedBytes() {
        assertEquals("$OK#9a", text(Rsp.frame("OK")));
        // '}' goes out as "}]" (0x7d ^ 0x20); the checksum covers '}' and ']', not the original '}'.
        int sum = ('a' + '}' + ']' + 'b') & 0xff;
        assertEquals("$a}]b#" + String.format("%02x", sum), text(Rsp.frame("a}b")));
        assertEquals("$}\u0003}\u0004}\n#", text(Rsp.frame("#$*")).substring(0, 8));
        byte[] body = "}\u0003}\u0004}\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("#$*", text(Rsp.unescape(body, 0, body.length)));
    }

    @Test
    void decoderReturnsPayloadsWithEscapesInPlace() throws IOException {
        PacketDecoder d = new PacketDecoder(64);
        byte[] framed = Rsp.frame("X10,3:}#$");
        InputStream in = new ByteArrayInputStream(framed);
        PacketDecoder.Packet p = (PacketDecoder.Packet) d.next(in);
        assertEquals("X10,3:}]}\u0003}\u0004", p.payload(), "as sent: the checksum was over these bytes");
        byte[] data = p.payload().substring(6).getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals("}#$".getBytes(StandardCharsets.ISO_8859_1), Rsp.unescape(data, 0, data.length));
        assertNull(d.next(in), "end of stream");
    }

    @Test
    void decoderSeesControlBytesSkipsAcksAndRestartsOnDollar() throws IOException {
        PacketDecoder d = new PacketDecoder(64);
        InputStream in = in("+\u0003garbage-$qAtt$?#3f");
        assertEquals(PacketDecoder.Control.INTERRUPT, d.next(in));
        assertEquals(PacketDecoder.Control.RESEND, d.next(in));
        assertEquals(new PacketDecoder.Packet("?"), d.next(in));
        assertNull(d.next(in));
    }

    @Test
    void decoderRejectsBadChecksumsAndOversizedPackets() throws IOException {
        PacketDecoder d = new PacketDecoder(4);
        assertEquals(new PacketDecoder.Rejected(false, "?"), d.next(in("$?#00")));
        assertEquals(new PacketDecoder.Rejected(false, "?"), d.next(in("$?#zz")));
        assertEquals(new PacketDecoder.Rejected(true, "abcd"), d.next(in("$abcdef#00")));
        assertNull(d.next(in("$?#3")), "end of stream inside the checksum");
        assertNull(d.next(in("$abc")), "end of stream inside a packet");
    }
}
