package dev.efiemu.loader.disk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random read access to the bytes of a disk image: a file opened read-only (positional reads, safe
 * from several threads) or an array. Reads past the end are refused with an {@link IOException};
 * the parsers check bounds first and report them as a {@link dev.efiemu.loader.FormatException}.
 */
public interface DiskReader extends AutoCloseable {
    long size();

    /** Reads exactly {@code len} bytes at {@code offset} into {@code b[off..]}. */
    void read(long offset, byte[] b, int off, int len) throws IOException;

    @Override
    default void close() throws IOException {}

    /** {@code len} bytes at {@code offset}; an I/O error is unchecked (the image vanished under us). */
    default byte[] bytes(long offset, int len) {
        byte[] b = new byte[len];
        try {
            read(offset, b, 0, len);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b;
    }

    /** An in-memory image (tests, fuzzing). */
    static DiskReader of(byte[] image) {
        return new DiskReader() {
            @Override
            public long size() {
                return image.length;
            }

            @Override
            public void read(long offset, byte[] b, int off, int len) throws IOException {
                if (offset < 0 || len < 0 || offset > image.length - (long) len) throw new IOException("read past the end of the image");
                System.arraycopy(image, (int) offset, b, off, len);
            }
        };
    }

    /** {@code file}, opened read-only: nothing efiemu does writes to it. */
    static DiskReader open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        long size = ch.size();
        return new DiskReader() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void read(long offset, byte[] b, int off, int len) throws IOException {
                if (offset < 0 || len < 0 || offset > size - len) throw new IOException("read past the end of " + file);
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                long at = offset;
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, at);
                    if (n < 0) throw new IOException(file + " shrank while being read");
                    at += n;
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
