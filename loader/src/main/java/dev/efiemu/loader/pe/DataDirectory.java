package dev.efiemu.loader.pe;

/**
 * One optional-header data directory entry (PE/COFF spec §3.4.3). For every entry but the
 * certificate table {@code address} is an RVA; for the certificate table it is a file offset.
 */
public record DataDirectory(int index, long address, long size) {
    public static final int EXPORT = 0, IMPORT = 1, RESOURCE = 2, EXCEPTION = 3, SECURITY = 4,
            BASERELOC = 5, DEBUG = 6;

    public boolean present() {
        return size != 0;
    }
}
