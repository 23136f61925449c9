package dev.efiemu.loader.auth;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * EFI_SIGNATURE_LIST (UEFI spec §32.4.1, "Signature Database"): {EFI_GUID SignatureType; u32
 * SignatureListSize; u32 SignatureHeaderSize; u32 SignatureSize; u8 header[]; EFI_SIGNATURE_DATA
 * signatures[]}, each EFI_SIGNATURE_DATA being {EFI_GUID SignatureOwner; u8 data[SignatureSize-16]}.
 * db, dbx, KEK, PK and MokList are concatenations of such lists.
 */
public record SignatureList(Guid type, Guid owner, byte[] data) {
    public static final Guid CERT_X509 = Guid.parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
    public static final Guid CERT_SHA256 = Guid.parse("c1c41626-504c-4092-aca9-41f936934328");
    public static final Guid CERT_SHA1 = Guid.parse("826ca512-cf10-4ac9-b187-be01496631bd");
    public static final Guid CERT_X509_SHA256 = Guid.parse("3bd2a492-96c0-4079-b420-fcf98ef103ed");

    public String typeName() {
        if (type.equals(CERT_X509)) return "X509";
        if (type.equals(CERT_SHA256)) return "SHA256";
        if (type.equals(CERT_SHA1)) return "SHA1";
        if (type.equals(CERT_X509_SHA256)) return "X509_SHA256";
        return type.toString();
    }

    /** Parses a concatenation of EFI_SIGNATURE_LISTs into its entries (one record per signature). */
    public static List<SignatureList> parse(byte[] b) {
        List<SignatureList> out = new ArrayList<>();
        long pos = 0;
        while (pos < b.length) {
            if (b.length - pos < 28) throw new FormatException(String.format("EFI_SIGNATURE_LIST at offset 0x%x: %d bytes left, header needs 28", pos, b.length - pos));
            Guid type = Guid.fromBytes(b, pos);
            long listSize = Bytes.u32(b, pos + 16, "SignatureListSize");
            long headerSize = Bytes.u32(b, pos + 20, "SignatureHeaderSize");
            long sigSize = Bytes.u32(b, pos + 24, "SignatureSize");
            if (listSize < 28 || listSize > b.length - pos) {
                throw new FormatException(String.format("EFI_SIGNATURE_LIST at offset 0x%x: SignatureListSize 0x%x outside the data (0x%x bytes)", pos, listSize, b.length));
            }
            if (sigSize < 16 || headerSize > listSize - 28 || (listSize - 28 - headerSize) % sigSize != 0) {
                throw new FormatException(String.format("EFI_SIGNATURE_LIST at offset 0x%x: SignatureSize 0x%x and header 0x%x do not divide the list size 0x%x",
                        pos, sigSize, headerSize, listSize));
            }
            for (long s = pos + 28 + headerSize; s < pos + listSize; s += sigSize) {
                out.add(new SignatureList(type, Guid.fromBytes(b, s), Bytes.slice(b, s + 16, sigSize - 16, "EFI_SIGNATURE_DATA")));
            }
            pos += listSize;
        }
        return out;
    }

    /**
     * Encodes entries as a concatenation of EFI_SIGNATURE_LISTs without list headers, the inverse
     * of {@link #parse}: consecutive entries of the same type and size share a list, except X.509
     * certificates, which get a list each (as edk2's key enrollment and efitools'
     * cert-to-efi-sig-list write them).
     */
    public static byte[] encode(List<SignatureList> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < entries.size()) {
            SignatureList first = entries.get(i);
            int n = 1;
            if (!first.type().equals(CERT_X509)) {
                while (i + n < entries.size() && entries.get(i + n).type().equals(first.type())
                        && entries.get(i + n).data().length == first.data().length) n++;
            }
            int sigSize = 16 + first.data().length;
            byte[] header = new byte[28];
            System.arraycopy(first.type().toBytes(), 0, header, 0, 16);
            Bytes.putU32(header, 16, 28L + (long) sigSize * n);
            Bytes.putU32(header, 20, 0);
            Bytes.putU32(header, 24, sigSize);
            out.writeBytes(header);
            for (int k = i; k < i + n; k++) {
                out.writeBytes(entries.get(k).owner().toBytes());
                out.writeBytes(entries.get(k).data());
            }
            i += n;
        }
        return out.toByteArray();
    }

    public static boolean looksLikeSignatureList(byte[] b) {
        if (b.length < 28) return false;
        Guid t = Guid.fromBytes(b, 0);
        return t.equals(CERT_X509) || t.equals(CERT_SHA256) || t.equals(CERT_SHA1) || t.equals(CERT_X509_SHA256);
    }
}
