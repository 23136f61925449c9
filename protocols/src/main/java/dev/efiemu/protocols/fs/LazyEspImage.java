package dev.efiemu.protocols.fs;

import dev.efiemu.loader.Guid;
import dev.efiemu.loader.disk.DiskReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The ESP directory as the bytes of its FAT partition, made only when a payload first reads a
 * block ({@link FatImage}: mkfs.vfat and mcopy). It gives a directory ESP's handle the BlockIo a
 * real ESP's partition handle always has, at no cost to the payloads that never read it: rEFInd
 * lists its volumes by BlockIo handles and dereferences its own volume unchecked when none is
 * there (docs/protocols.md).
 */
final class LazyEspImage implements DiskReader {
    private final EspSandbox esp;
    private final List<Path[]> extra;
    private final Guid partition;
    private final long size;
    private DiskReader image;
    private long fatStart;

    /** Sized now (from the files' sizes), built on the first read. */
    LazyEspImage(EspSandbox esp, List<Path[]> extra, Guid partition) throws IOException {
        this.esp = esp;
        this.extra = List.copyOf(extra);
        this.partition = partition;
        this.size = FatImage.plannedSectors(esp, extra) * 512;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized void read(long offset, byte[] b, int off, int len) throws IOException {
        if (image == null) {
            FatImage.Disk d = FatImage.build(esp, extra, partition);
            try {
                if (d.fatSectors() * 512 != size) throw new IOException("the ESP changed while the payload ran");
                image = DiskReader.open(d.image());
                fatStart = d.fatStart() * 512;
            } finally {
                FatImage.release(d);
            }
        }
        if (offset < 0 || len < 0 || offset > size - len) throw new IOException("read past the end of the ESP");
        image.read(fatStart + offset, b, off, len);
    }

    @Override
    public synchronized void close() throws IOException {
        if (image != null) image.close();
    }
}
