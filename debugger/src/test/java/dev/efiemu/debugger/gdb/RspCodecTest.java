package dev.efiemu.debugger.gdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    /**
     * A reply holding all four bytes the protocol escapes ('$', '#', '}', '*'): each goes out as '}'
     * and the byte XOR 0x20, and the checksum is the modulo-256 sum of the bytes as sent, escapes
     * included (GDB manual, "Overview" of the remote protocol). The decoder, which checks the
     * checksum as gdb does, takes the frame and gives back the reply.
     */
    @Test
    void replyWithEveryEscapedByteIsChecksummedAsSent() throws IOException {
        String reply = "E.a$b#c}d*e";
        String sent = "E.a}\u0004b}\u0003c}]d}\ne";
        int sum = 0;
        for (char ch : sent.toCharArray()) sum += ch;
        String framed = text(Rsp.frame(reply));
        assertEquals("$" + sent + "#" + String.format("%02x", sum & 0xff), framed);
        int unescapedSum = 0;
        for (char ch : reply.toCharArray()) unescapedSum += ch;
        assertNotEquals(unescapedSum & 0xff, sum & 0xff, "the two sums must differ for this reply to tell them apart");
        Object p = new PacketDecoder(64).next(in(framed));
        assertEquals(new PacketDecoder.Packet(sent), p, "the decoder accepts the checksum");
        byte[] body = sent.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(reply, text(Rsp.unescape(body, 0, body.length)));
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
