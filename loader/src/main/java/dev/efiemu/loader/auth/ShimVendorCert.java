package dev.efiemu.loader.auth;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;

/**
 * shim's built-in vendor keys: its {@code .vendor_cert} section starts with {u32
 * vendor_authorized_size; u32 vendor_deauthorized_size; u32 vendor_authorized_offset; u32
 * vendor_deauthorized_offset} (shim's cert_table, offsets relative to the section start). The
 * authorized blob is one DER certificate (VENDOR_CERT_FILE) or an EFI_SIGNATURE_LIST set
 * (VENDOR_DB_FILE); the deauthorized blob is a dbx-style EFI_SIGNATURE_LIST set.
 */
public record ShimVendorCert(byte[] authorized, byte[] deauthorized) {
    public static final String SECTION = ".vendor_cert";

    public static ShimVendorCert parse(PeImage shim) {
        SectionHeader s = shim.section(SECTION)
                .orElseThrow(() -> new FormatException("no " + SECTION + " section (not a shim?)"));
        byte[] d = shim.sectionData(s);
        long authSize = Bytes.u32(d, 0, "vendor_authorized_size");
        long deauthSize = Bytes.u32(d, 4, "vendor_deauthorized_size");
        long authOff = Bytes.u32(d, 8, "vendor_authorized_offset");
        long deauthOff = Bytes.u32(d, 12, "vendor_deauthorized_offset");
        return new ShimVendorCert(Bytes.slice(d, authOff, authSize, SECTION + " vendor_authorized"),
                Bytes.slice(d, deauthOff, deauthSize, SECTION + " vendor_deauthorized"));
    }

    /** Adds the vendor keys to a trust store: authorized as db, deauthorized as dbx. */
    public void addTo(TrustStore.Builder b, String source) {
        if (authorized.length > 0) b.addDb(authorized, source + " " + SECTION);
        if (deauthorized.length > 0) b.addDbx(deauthorized, source + " " + SECTION + " (deauthorized)");
    }
}
