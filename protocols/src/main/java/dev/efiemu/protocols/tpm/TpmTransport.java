package dev.efiemu.protocols.tpm;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;

/** Moves one TPM 2.0 command to a TPM and its response back (the TCG's "TPM command transmission"). */
public interface TpmTransport extends AutoCloseable {
    byte[] transact(byte[] command);

    String describe();

    @Override
    void close();

    /** Responses are at most this big (TPM2 MAX_RESPONSE_SIZE as Linux and swtpm use it). */
    int MAX = 4096;

    /**
     * A TPM 2.0 character device: write the command, read the response. {@code /dev/tpmrm0} (the
     * kernel's resource manager) lets efiemu share the TPM with the rest of the system.
     */
    static TpmTransport device(Path dev) {
        java.nio.channels.FileChannel f;
        try {
            // READ and WRITE without CREATE: a mistyped path is refused, never created as a file
            f = java.nio.channels.FileChannel.open(dev, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new TpmException("--tpm " + dev + ": cannot open: no such device");
        } catch (IOException e) {
            throw new TpmException("--tpm " + dev + ": cannot open: " + e.getMessage());
        }
        return new TpmTransport() {
            @Override
            public synchronized byte[] transact(byte[] command) {
                try {
                    f.write(java.nio.ByteBuffer.wrap(command));
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(MAX);
                    int n = f.read(buf);
                    if (n < 10) throw new TpmException(dev + ": short TPM response (" + n + " bytes)");
                    return java.util.Arrays.copyOf(buf.array(), n);
                } catch (java.nio.channels.ClosedChannelException e) {
                    throw new TpmException(dev + ": closed", e);
                } catch (IOException e) {
                    throw new TpmException(dev + ": " + e.getMessage(), e);
                }
            }

            @Override
            public String describe() {
                return dev.toString();
            }

            @Override
            public void close() {
                try {
                    f.close();
                } catch (IOException e) {
                    // closing a device we only read and wrote
                }
            }
        };
    }

    /** swtpm's TCP command channel ({@code swtpm socket --tpm2 --server type=tcp,port=P}): raw commands and responses. */
    static TpmTransport swtpm(String host, int port) {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(30_000);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing to close
            }
            throw new TpmException("--tpm swtpm:" + host + ":" + port + ": cannot connect: " + e.getMessage());
        }
        return new TpmTransport() {
            @Override
            public synchronized byte[] transact(byte[] command) {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(command);
                    out.flush();
                    InputStream in = s.getInputStream();
                    DataInputStream din = new DataInputStream(in);
                    byte[] head = new byte[10];
                    din.readFully(head);
                    int size = ((head[2] & 0xff) << 24) | ((head[3] & 0xff) << 16) | ((head[4] & 0xff) << 8) | (head[5] & 0xff);
                    if (size < 10 || size > MAX) throw new TpmException("swtpm:" + host + ":" + port + ": response of " + size + " bytes");
                    byte[] r = java.util.Arrays.copyOf(head, size);
                    din.readFully(r, 10, size - 10);
                    return r;
                } catch (IOException e) {
                    throw new TpmException("swtpm:" + host + ":" + port + ": " + e.getMessage(), e);
                }
            }

            @Override
            public String describe() {
                return "swtpm:" + host + ":" + port;
            }

            @Override
            public void close() {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing
                }
            }
        };
    }
}
