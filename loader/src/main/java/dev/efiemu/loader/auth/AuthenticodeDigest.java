package dev.efiemu.loader.auth;

import dev.efiemu.loader.pe.DataDirectory;
import dev.efiemu.loader.pe.PeFormatException;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Authenticode image digest ("Windows Authenticode Portable Executable Signature Format",
 * section "Calculating the PE Image Hash"): the headers up to SizeOfHeaders without the CheckSum
 * field and the certificate-table directory entry, then every section's raw data in order of
 * PointerToRawData, then whatever follows the last section up to the attribute certificate table
 * (or the end of an unsigned file). The certificate table itself is never hashed.
 */
public final class AuthenticodeDigest {
    private AuthenticodeDigest() {}

    /** A digest and what it covered, for reports. */
    public record Result(String algorithm, byte[] digest, long bytesHashed, long trailingBytes, List<String> notes) {}

    public static byte[] digest(PeImage pe, String algorithm) {
        return compute(pe, algorithm).digest();
    }

    public static Result compute(PeImage pe, String algorithm) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
        }
        byte[] f = pe.fileBytes();
        List<String> notes = new ArrayList<>();
        long headers = pe.sizeOfHeaders();
        long checksum = pe.checkSumOffset();
        long certEntry = pe.securityDirectoryEntryOffset();
        // Steps 3-7: headers, skipping CheckSum (4 bytes) and the certificate table entry (8 bytes).
        long pos = 0;
        pos = hashTo(md, f, pos, checksum);
        pos = checksum + 4;
        if (certEntry >= 0) {
            hashTo(md, f, pos, certEntry);
            pos = certEntry + 8;
        }
        hashTo(md, f, pos, headers);
        long sum = headers;
        // Steps 9-13: sections with raw data, sorted by PointerToRawData.
        List<SectionHeader> secs = new ArrayList<>(pe.sections());
        secs.removeIf(s -> s.sizeOfRawData() == 0);
        secs.sort(Comparator.comparingLong(SectionHeader::pointerToRawData));
        for (SectionHeader s : secs) {
            long end = s.pointerToRawData() + s.sizeOfRawData();
            if (end > f.length) {
                throw new PeFormatException(String.format("section %s raw data 0x%x+0x%x extends beyond the end of the file (0x%x): cannot compute the Authenticode digest",
                        s.name(), s.pointerToRawData(), s.sizeOfRawData(), f.length));
            }
            md.update(f, (int) s.pointerToRawData(), (int) s.sizeOfRawData());
            sum += s.sizeOfRawData();
        }
        // Step 14: extra data after the sections, excluding the attribute certificate table
        // (FILE_SIZE - (CertDirectory.Size + SUM_OF_BYTES_HASHED) bytes from SUM_OF_BYTES_HASHED).
        // pesign and sbverify follow this formula too, so data appended after a signed image's
        // certificate table shifts the hashed range and breaks the digest. No padding is added
        // here: sbsign pads an image to 8 bytes before signing, so the padding is in the file.
        DataDirectory cert = pe.securityDirectory();
        long trailingEnd = f.length;
        if (cert.present()) {
            if (cert.address() + cert.size() != f.length) {
                notes.add(String.format("certificate table at 0x%x+0x%x does not end the file (0x%x bytes)", cert.address(), cert.size(), f.length));
            }
            trailingEnd = f.length - Math.min(cert.size(), f.length);
        }
        long trailing = 0;
        if (trailingEnd > sum) {
            trailing = trailingEnd - sum;
            md.update(f, (int) sum, (int) trailing);
        }
        return new Result(algorithm, md.digest(), sum + trailing, trailing, notes);
    }

    private static long hashTo(MessageDigest md, byte[] f, long from, long to) {
        if (to > from) md.update(f, (int) from, (int) (to - from));
        return to;
    }
}
