package dev.efiemu.debugger.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A minimal gdb stand-in for tests: sends packets (or raw bytes), reads replies; every read is bounded. */
final class RspClient implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    /** The text of every 'O' packet seen so far. */
    final StringBuilder console = new StringBuilder();
    /** '+' and '-' seen since the last {@link #takeAcks()}. */
    private final StringBuilder acks = new StringBuilder();

    RspClient(InetSocketAddress address, int timeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(address, timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void sendRaw(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    void sendRaw(String s) throws IOException {
        sendRaw(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(String payload) throws IOException {
        sendRaw(Rsp.frame(payload));
    }

    /** Sends and returns the reply (console 'O' packets are collected, not returned). */
    String ask(String payload) throws IOException {
        send(payload);
        return reply();
    }

    /** The next packet that is not console output. */
    String reply() throws IOException {
        while (true) {
            String p = packet();
            if (p.startsWith("O") && p.length() > 1 && !p.equals("OK")) {
                console.append(Rsp.unhexText(p.substring(1)));
                continue;
            }
            return p;
        }
    }

    /** The next packet (acknowledged), with escapes removed. */
    String packet() throws IOException {
        int c;
        while ((c = in.read()) != '$') {
            if (c < 0) throw new IOException("connection closed");
            if (c == '+' || c == '-') acks.append((char) c);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while ((c = in.read()) != '#') {
            if (c < 0) throw new IOException("connection closed inside a packet");
            body.write(c);
        }
        int h = in.read(), l = in.read();
        byte[] b = body.toByteArray();
        if ((Rsp.digit(h) << 4 | Rsp.digit(l)) != Rsp.checksum(b, 0, b.length)) throw new IOException("bad checksum from the stub");
        sendRaw("+");
        return new String(Rsp.unescape(b, 0, b.length), StandardCharsets.ISO_8859_1);
    }

    /** Waits for one ack byte. */
    char ack() throws IOException {
        if (acks.length() > 0) {
            char a = acks.charAt(0);
            acks.deleteCharAt(0);
            return a;
        }
        int c = in.read();
        if (c < 0) throw new IOException("connection closed");
        return (char) c;
    }

    String takeAcks() {
        String s = acks.toString();
        acks.setLength(0);
        return s;
    }

    /** True when the stub closes the connection within the socket timeout. */
    boolean closedByPeer() throws IOException {
        try {
            while (true) {
                if (in.read() < 0) return true;
            }
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    static List<String> split(String s, String sep) {
        List<String> l = new ArrayList<>();
        for (String x : s.split(sep)) if (!x.isEmpty()) l.add(x);
        return l;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
