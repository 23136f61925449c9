package dev.efiemu.loader.inspect;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.auth.Authenticode;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.loader.auth.Verdict;
import dev.efiemu.loader.json.Hex;
import dev.efiemu.loader.linux.Arm64ImageHeader;
import dev.efiemu.loader.linux.BzImageHeader;
import dev.efiemu.loader.linux.ZbootImage;
import dev.efiemu.loader.pe.DataDirectory;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.loader.pe.SectionHeader;
import dev.efiemu.loader.uki.UkiSections;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the report `efiemu inspect` prints: PE headers and sections, the UKI section map, the
 * chain of nested layers (UKI → .linux → bzImage / zboot → payload → arm64 Image) and the
 * Authenticode verdict. The report is a tree of ordered maps and lists (see {@link dev.efiemu.loader.json.Json}).
 */
public final class Inspector {
    private static final int MAX_DEPTH = 5;

    private Inspector() {}

    /**
     * Inspects a file's bytes; a malformed top-level PE or an unrecognizable file throws its
     * one-line FormatException. Problems in nested layers are reported in the layer ("error").
     */
    public static Map<String, Object> inspect(byte[] file, String name, TrustStore store) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", name);
        r.put("size", file.length);
        PeImage pe = null;
        String peError = null;
        if (file.length >= 2 && file[0] == 'M' && file[1] == 'Z') {
            try {
                pe = PeImage.parse(file, null);
            } catch (FormatException e) {
                // A kernel container with a broken PE header is still worth showing; anything else is an error.
                if (!ZbootImage.looksLikeZboot(file) && !BzImageHeader.looksLikeBzImage(file) && !Arm64ImageHeader.looksLikeArm64Image(file)) throw e;
                peError = e.getMessage();
            }
        }
        List<Map<String, Object>> layers = new ArrayList<>();
        layers(file, pe, "file", 0, layers);
        r.put("format", layers.get(0).get("format"));
        if ("data".equals(r.get("format"))) {
            throw new FormatException("not a PE/EFI image, UKI, EFI zboot, bzImage or arm64 Image (no recognizable header)");
        }
        if (peError != null) r.put("peError", peError);
        if (pe != null) {
            r.put("pe", peHeaders(pe));
            r.put("sections", sections(pe));
            if (UkiSections.isUki(pe)) r.put("uki", uki(UkiSections.of(pe)));
        }
        r.put("layers", layers);
        if (pe != null) r.put("authenticode", authenticode(Authenticode.verify(pe, store == null ? TrustStore.empty() : store)));
        return r;
    }

    /** The first nested-layer problem in a report, or null. */
    @SuppressWarnings("unchecked")
    public static String firstLayerError(Map<String, Object> report) {
        for (Map<String, Object> l : (List<Map<String, Object>>) report.get("layers")) {
            if (l.get("error") != null) return l.get("layer") + ": " + l.get("error");
        }
        return null;
    }

    static Map<String, Object> peHeaders(PeImage pe) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("machine", pe.machineName());
        m.put("machineId", new Hex(pe.machine()));
        m.put("subsystem", PeImage.subsystemName(pe.subsystem()));
        m.put("imageBase", new Hex(pe.imageBase()));
        m.put("entryPoint", new Hex(pe.entryPointRva()));
        m.put("sizeOfImage", new Hex(pe.sizeOfImage()));
        m.put("sizeOfHeaders", new Hex(pe.sizeOfHeaders()));
        m.put("sectionAlignment", new Hex(pe.sectionAlignment()));
        m.put("fileAlignment", new Hex(pe.fileAlignment()));
        m.put("characteristics", new Hex(pe.characteristics()));
        m.put("dllCharacteristics", new Hex(pe.dllCharacteristics()));
        m.put("nxCompat", pe.nxCompat());
        m.put("baseRelocations", pe.relocations().count());
        DataDirectory sec = pe.securityDirectory();
        m.put("certificateTable", Map.of("offset", new Hex(sec.address()), "size", new Hex(sec.size())));
        if (!pe.warnings().isEmpty()) m.put("warnings", pe.warnings());
        return m;
    }

    static List<Object> sections(PeImage pe) {
        List<Object> l = new ArrayList<>();
        for (SectionHeader s : pe.sections()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("virtualAddress", new Hex(s.virtualAddress()));
            m.put("virtualSize", new Hex(s.virtualSize()));
            m.put("rawOffset", new Hex(s.pointerToRawData()));
            m.put("rawSize", new Hex(s.sizeOfRawData()));
            m.put("flags", new Hex(s.characteristics()));
            m.put("perm", s.permissions());
            l.add(m);
        }
        return l;
    }

    static Map<String, Object> uki(UkiSections u) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> secs = new ArrayList<>();
        for (UkiSections.Section s : u.sections()) {
            if (!s.known()) continue;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", s.name());
            e.put("vma", new Hex(s.vma()));
            e.put("virtualSize", new Hex(s.virtualSize()));
            e.put("fileSize", new Hex(s.fileSize()));
            e.put("fileOffset", new Hex(s.fileOffset()));
            secs.add(e);
        }
        m.put("sections", secs);
        List<String> unknown = new ArrayList<>();
        for (UkiSections.Section s : u.sections()) if (!s.known()) unknown.add(s.name());
        m.put("otherSections", unknown);
        if (!u.osRelease().isEmpty()) m.put("osRelease", u.osRelease());
        u.cmdline().ifPresent(c -> m.put("cmdline", c));
        u.uname().ifPresent(c -> m.put("uname", c));
        return m;
    }

    /** Appends a layer for {@code blob} and, recursively, for what it contains. */
    static void layers(byte[] blob, PeImage knownPe, String label, int depth, List<Map<String, Object>> out) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", label);
        m.put("size", blob.length);
        out.add(m);
        try {
            PeImage pe = knownPe;
            if (pe == null && depth > 0 && blob.length >= 2 && blob[0] == 'M' && blob[1] == 'Z') {
                try {
                    pe = PeImage.parse(blob);
                } catch (FormatException e) {
                    m.put("peError", e.getMessage());
                }
            }
            if (pe != null && UkiSections.isUki(pe)) {
                m.put("format", "UKI");
                m.put("machine", pe.machineName());
                if (depth < MAX_DEPTH) layers(UkiSections.of(pe).fileContent(".linux").orElseThrow(), null, "section .linux", depth + 1, out);
            } else if (ZbootImage.looksLikeZboot(blob)) {
                ZbootImage z = ZbootImage.parse(blob);
                m.put("format", "EFI zboot");
                m.put("compression", z.compression());
                m.put("payloadOffset", new Hex(z.payloadOffset()));
                m.put("payloadSize", new Hex(z.payloadSize()));
                m.put("declaredSize", new Hex(z.declaredSize()));
                if (depth < MAX_DEPTH) {
                    byte[] payload = z.decompress(blob);
                    layers(payload, null, "zboot payload (" + z.compression() + "-decompressed)", depth + 1, out);
                }
            } else if (BzImageHeader.looksLikeBzImage(blob)) {
                BzImageHeader h = BzImageHeader.parse(blob);
                m.put("format", "x86 bzImage");
                m.put("setupHeader", setupHeader(h));
                if (h.payloadLength() > 0) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("layer", "bzImage payload");
                    p.put("size", h.payloadLength());
                    p.put("format", "compressed vmlinux");
                    p.put("compression", h.payloadCompression());
                    p.put("offset", new Hex(h.setupSize() + h.payloadOffset()));
                    out.add(p);
                }
            } else if (Arm64ImageHeader.looksLikeArm64Image(blob)) {
                Arm64ImageHeader h = Arm64ImageHeader.parse(blob);
                m.put("format", "arm64 Image");
                m.put("textOffset", new Hex(h.textOffset()));
                m.put("imageSize", new Hex(h.imageSize()));
                m.put("flags", new Hex(h.flags()));
                m.put("pageSize", h.pageSize());
                m.put("efiStub", h.efiStub());
                String banner = linuxBanner(blob);
                if (banner != null) m.put("version", banner);
            } else if (pe != null) {
                m.put("format", "PE32+ " + pe.machineName() + " " + PeImage.subsystemName(pe.subsystem()));
            } else {
                m.put("format", "data");
                m.put("sha256", sha256(blob));
            }
        } catch (FormatException e) {
            m.putIfAbsent("format", "unrecognized");
            m.put("error", e.getMessage());
        }
    }

    /** The kernel's linux_banner ("Linux version 6.12.57 (builder@host) ... #1 SMP ..."), up to its newline; null if absent. */
    static String linuxBanner(byte[] b) {
        byte[] needle = "Linux version ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length < b.length; i++) {
            for (int j = 0; j < needle.length; j++) if (b[i + j] != needle[j]) continue outer;
            int e = i;
            while (e < b.length && e - i < 300 && b[e] != '\n' && b[e] != 0) e++;
            if (e < b.length && b[e] == '\n') return new String(b, i, e - i, java.nio.charset.StandardCharsets.US_ASCII);
        }
        return null;
    }

    static Map<String, Object> setupHeader(BzImageHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("protocol", h.protocol());
        m.put("kernelVersion", h.kernelVersion());
        m.put("setupSects", h.setupSects());
        m.put("loadFlags", new Hex(h.loadFlags()));
        m.put("xloadFlags", new Hex(h.xloadFlags()));
        m.put("handoverOffset", new Hex(h.handoverOffset()));
        m.put("prefAddress", new Hex(h.prefAddress()));
        m.put("initSize", new Hex(h.initSize()));
        m.put("kernelAlignment", new Hex(h.kernelAlignment()));
        m.put("relocatableKernel", h.relocatableKernel());
        m.put("minAlignment", h.minAlignment());
        m.put("cmdlineSize", h.cmdlineSize());
        m.put("initrdAddrMax", new Hex(h.initrdAddrMax()));
        m.put("kernelInfoOffset", new Hex(h.kernelInfoOffset()));
        return m;
    }

    static Map<String, Object> authenticode(Verdict v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sha256", v.sha256());
        m.put("sha1", v.sha1());
        m.put("signed", v.signed());
        List<Object> sigs = new ArrayList<>();
        for (Verdict.SignatureCheck c : v.signatures()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("index", c.index() + 1);
            s.put("offset", new Hex(c.fileOffset()));
            s.put("type", c.certificateType());
            s.put("digestAlgorithm", c.digestAlgorithm());
            s.put("signedDigest", c.signedDigest());
            s.put("digestMatches", c.digestMatches());
            s.put("signatureValid", c.signatureValid());
            s.put("signer", c.signerSubject());
            s.put("issuer", c.signerIssuer());
            s.put("serial", c.signerSerial());
            s.put("chain", c.chain());
            s.put("trustedBy", c.trustedBy());
            if (c.revokedBy() != null) s.put("revokedBy", c.revokedBy());
            s.put("problem", c.problem());
            sigs.add(s);
        }
        m.put("signatures", sigs);
        Map<String, Object> verdict = new LinkedHashMap<>();
        verdict.put("status", v.status().name());
        verdict.put("trusted", v.trusted());
        verdict.put("reason", v.reason());
        m.put("verdict", verdict);
        if (!v.notes().isEmpty()) m.put("notes", v.notes());
        return m;
    }

    static String sha256(byte[] b) {
        try {
            return Bytes.hex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
