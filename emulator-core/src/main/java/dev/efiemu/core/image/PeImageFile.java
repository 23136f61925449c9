package dev.efiemu.core.image;

import dev.efiemu.loader.pe.PeImage;

/** {@link ImageFile} backed by the loader module's PE32+ parser (validation, mapping, relocations). */
public final class PeImageFile implements ImageFile {
    private final PeImage pe;

    private PeImageFile(PeImage pe) {
        this.pe = pe;
    }

    /** @throws RuntimeException (the loader's one-line format error) for anything that is not a valid PE32+ image */
    public static ImageFile parse(byte[] file) {
        return new PeImageFile(PeImage.parse(file));
    }

    @Override public int machine() { return pe.machine(); }
    @Override public int subsystem() { return pe.subsystem(); }
    @Override public long sizeOfImage() { return pe.sizeOfImage(); }
    @Override public long entryPointRva() { return pe.entryPointRva(); }
    @Override public long sectionAlignment() { return pe.sectionAlignment(); }

    @Override
    public byte[] mapAt(long base) {
        return pe.mapImage(base);
    }
}
