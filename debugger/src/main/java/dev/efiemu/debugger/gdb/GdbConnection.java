package dev.efiemu.debugger.gdb;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport of the GDB stub: one TCP client, acknowledgements, interrupts (the framing is
 * {@link Rsp} and {@link PacketDecoder}).
 *
 * <p>A reader thread takes bytes off the socket: it acknowledges and queues well-formed packets,
 * answers '-' to bad checksums and oversized packets, reports Ctrl-C (0x03) and the end of the
 * connection through {@link Events}. Replies are written by whoever calls {@link #send} (the
 * emulation thread). The listening socket is closed as soon as the client is accepted, and
 * {@link #close} releases everything and joins the reader, so nothing outlives a session.
 */
final class GdbConnection implements AutoCloseable {
    /** The largest packet payload we accept and advertise (qSupported PacketSize). */
    static final int MAX_PACKET = 0x4000;
    private static final Logger log = LoggerFactory.getLogger(GdbConnection.class);
    private static final String EOF = new String("<end of connection>");

    /** What the reader thread reports besides packets. */
    interface Events {
        /** 0x03 from the client. */
        void interrupt();

        /** The client went away (EOF, reset, or {@link #close}). */
        void disconnected();
    }

    private final ServerSocket listener;
    private final LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>(256);
    private final Object writeLock = new Object();
    private volatile Socket socket;
    /** The accepted client's input, its first byte already seen (and kept). */
    private volatile InputStream input;
    private volatile OutputStream out;
    private volatile boolean noAck;
    private volatile boolean closed;
    private volatile boolean ended;
    private Thread reader;
    private Events events;
    private byte[] lastSent;
    private int resends;

    private GdbConnection(ServerSocket listener) {
        this.listener = listener;
    }

    /** Binds {@code host:port} (port 0: any free port). */
    static GdbConnection listen(String host, int port) throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen for gdb on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return new GdbConnection(s);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /**
     * Waits for the client (at most {@code timeoutMillis}, 0 = no limit), then stops listening. A
     * connection that closes before sending anything (a port probe, a health check) is not a
     * client: the next one is accepted instead, as QEMU's gdbstub does.
     *
     * @throws IOException when closed meanwhile, on timeout, or when accepting fails
     */
    void accept(long timeoutMillis, Events events) throws IOException {
        this.events = events;
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        Socket s;
        try {
            while (true) {
                listener.setSoTimeout(remaining(deadline, timeoutMillis));
                s = listener.accept();
                InputStream in = new BufferedInputStream(s.getInputStream());
                int first;
                try {
                    s.setSoTimeout(remaining(deadline, timeoutMillis));
                    in.mark(1);
                    first = in.read();
                    in.reset();
                    s.setSoTimeout(0);
                } catch (SocketTimeoutException e) {
                    s.close();
                    throw e;
                } catch (IOException e) {
                    first = -1; // reset before a byte: a probe too
                }
                if (first >= 0) {
                    input = in;
                    break;
                }
                log.info("a connection from {} closed without sending anything (a port probe?): waiting for gdb", s.getRemoteSocketAddress());
                s.close();
                if (closed) throw new IOException("closed");
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("no gdb connected within " + timeoutMillis + " ms");
        } finally {
            listener.close();
        }
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        socket = s;
        out = s.getOutputStream();
        if (closed) {
            s.close();
            throw new IOException("closed");
        }
        log.info("gdb connected from {}", s.getRemoteSocketAddress());
        reader = new Thread(this::readLoop, "efiemu-gdb-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** What is left of the accept timeout, as a socket timeout (0 = none); at least 1 ms while time remains. */
    private static int remaining(long deadline, long timeoutMillis) throws SocketTimeoutException {
        if (timeoutMillis <= 0) return 0;
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new SocketTimeoutException();
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    boolean connected() {
        return socket != null && !ended;
    }

    /**
     * The next packet's payload (escapes still in place), blocking; null once the connection has
     * ended (and on every later call).
     */
    String next() {
        if (ended && inbox.isEmpty()) return null;
        try {
            String p = inbox.take();
            if (p == EOF) {
                inbox.offer(EOF);
                return null;
            }
            return p;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sends one packet; a broken connection ends the session instead of throwing. */
    void send(String payload) {
        byte[] frame = Rsp.frame(payload);
        synchronized (writeLock) {
            lastSent = frame;
            resends = 0;
            write(frame);
        }
    }

    /** Text for the gdb console (an 'O' packet; only while gdb waits for a stop reply or a monitor command). */
    void console(String text) {
        for (int i = 0; i < text.length(); i += 1024) {
            send("O" + Rsp.hex(text.substring(i, Math.min(text.length(), i + 1024))));
        }
    }

    /** After QStartNoAckMode: neither side acknowledges from now on. */
    void noAck() {
        noAck = true;
    }

    private void write(byte[] b) {
        OutputStream o = out;
        if (o == null || ended) return;
        try {
            o.write(b);
            o.flush();
        } catch (IOException e) {
            log.debug("gdb write failed: {}", e.toString());
            end();
        }
    }

    private void writeAck(char c) {
        synchronized (writeLock) {
            write(new byte[] {(byte) c});
        }
    }

    private void readLoop() {
        try {
            InputStream in = input;
            PacketDecoder decoder = new PacketDecoder(MAX_PACKET);
            PacketDecoder.Input input;
            while ((input = decoder.next(in)) != null) {
                if (input instanceof PacketDecoder.Packet p) {
                    received(p.payload());
                } else if (input instanceof PacketDecoder.Rejected r) {
                    rejected(r);
                } else if (input == PacketDecoder.Control.INTERRUPT) {
                    events.interrupt();
                } else if (input == PacketDecoder.Control.RESEND && !noAck) {
                    resend();
                }
            }
        } catch (IOException e) {
            if (!closed) log.debug("gdb connection: {}", e.toString());
        } finally {
            end();
        }
    }

    private void resend() {
        synchronized (writeLock) {
            if (lastSent != null && resends++ < 3) write(lastSent);
        }
    }

    /** A well-formed packet: acknowledged (unless in no-ack mode) and queued. */
    private void received(String payload) {
        if (!noAck) writeAck('+');
        if (!inbox.offer(payload)) {
            log.warn("gdb sends faster than the target answers; packet dropped");
        }
    }

    /** Oversized or corrupt packets get '-'. */
    private void rejected(PacketDecoder.Rejected r) {
        if (r.overflow()) {
            log.warn("gdb packet longer than {} bytes dropped", MAX_PACKET);
        } else {
            log.debug("gdb packet with bad checksum dropped: {}", r.body());
        }
        writeAck('-');
    }

    private void end() {
        if (ended) return;
        ended = true;
        // Packets before the end (a detach just before closing) are still answered.
        if (!inbox.offer(EOF)) {
            inbox.clear();
            inbox.offer(EOF);
        }
        Events e = events;
        if (e != null) e.disconnected();
    }

    /**
     * Sends a last packet and lets the client read it before the connection closes (closing with
     * unread input would reset the connection and could lose it).
     */
    void sendFinal(String payload, long lingerMillis) {
        send(payload);
        Socket s = socket;
        if (s == null) return;
        try {
            s.shutdownOutput();
        } catch (IOException e) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        while (!ended && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            try {
                r.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        end();
    }
}
