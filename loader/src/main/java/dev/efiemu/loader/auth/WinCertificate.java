package dev.efiemu.loader.auth;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.DataDirectory;
import dev.efiemu.loader.pe.PeImage;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of the attribute certificate table (PE/COFF spec §5.7): {u32 dwLength; u16
 * wRevision; u16 wCertificateType; u8 bCertificate[]}, entries starting on 8-byte boundaries.
 * The table sits at the file offset given by the SECURITY data directory.
 */
public record WinCertificate(int index, long fileOffset, long length, int revision, int type, byte[] content) {
    public static final int REVISION_1_0 = 0x0100, REVISION_2_0 = 0x0200;
    public static final int TYPE_X509 = 1, TYPE_PKCS_SIGNED_DATA = 2, TYPE_PKCS1_SIGN = 9;
    private static final int MAX_ENTRIES = 64;

    public String typeName() {
        return switch (type) {
            case TYPE_X509 -> "X509";
            case TYPE_PKCS_SIGNED_DATA -> "PKCS_SIGNED_DATA";
            case TYPE_PKCS1_SIGN -> "PKCS1_SIGN";
            default -> String.format("0x%04x", type);
        };
    }

    /** Every entry of the image's certificate table; empty when the image has none. */
    public static List<WinCertificate> parseTable(PeImage pe) {
        DataDirectory dir = pe.securityDirectory();
        List<WinCertificate> out = new ArrayList<>();
        if (!dir.present()) return out;
        byte[] f = pe.fileBytes();
        long start = dir.address(), end = dir.address() + dir.size();
        if (end > f.length) {
            throw new FormatException(String.format("certificate table at offset 0x%x size 0x%x extends beyond the end of the file (0x%x bytes)",
                    start, dir.size(), f.length));
        }
        if ((start & 7) != 0) {
            throw new FormatException(String.format("certificate table at offset 0x%x is not 8-byte aligned", start));
        }
        long pos = start;
        while (pos + 8 <= end) {
            long len = Bytes.u32(f, pos, "WIN_CERTIFICATE.dwLength");
            int rev = Bytes.u16(f, pos + 4, "WIN_CERTIFICATE.wRevision");
            int type = Bytes.u16(f, pos + 6, "WIN_CERTIFICATE.wCertificateType");
            if (len < 8 || len > end - pos) {
                throw new FormatException(String.format("WIN_CERTIFICATE at offset 0x%x has dwLength 0x%x, outside the table (ends at 0x%x)", pos, len, end));
            }
            if (out.size() == MAX_ENTRIES) throw new FormatException("certificate table has more than " + MAX_ENTRIES + " entries");
            out.add(new WinCertificate(out.size(), pos, len, rev, type, Bytes.slice(f, pos + 8, len - 8, "bCertificate")));
            pos += Bytes.alignUp(len, 8);
        }
        return out;
    }
}
