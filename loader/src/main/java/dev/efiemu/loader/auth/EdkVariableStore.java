package dev.efiemu.loader.auth;

import dev.efiemu.loader.Bytes;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.Guid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * An edk2 variable store inside a firmware volume, as in OVMF_VARS.fd: EFI_FIRMWARE_VOLUME_HEADER
 * (PI spec vol. 3 §3.2.1: "_FVH" at 40, HeaderLength at 48), then VARIABLE_STORE_HEADER and
 * variables laid out per edk2 MdeModulePkg/Include/Guid/VariableFormat.h (packed structures,
 * each variable header 4-byte aligned, StartId 0x55AA, State VAR_ADDED 0x3f).
 */
public final class EdkVariableStore {
    public static final Guid AUTHENTICATED_VARIABLE_GUID = Guid.parse("aaf32c78-947b-439a-a180-2e144ec37792");
    public static final Guid VARIABLE_GUID = Guid.parse("ddcf3616-3275-4164-98b6-fe85707ffe7d");
    public static final Guid GLOBAL_VARIABLE = Guid.parse("8be4df61-93ca-11d2-aa0d-00e098032b8c");
    public static final Guid IMAGE_SECURITY_DATABASE = Guid.parse("d719b2cb-3d3a-4596-a3bc-dad00e67656f");

    private static final int VAR_ADDED = 0x3f, VAR_IN_DELETED_TRANSITION = 0xfe;
    private static final int STORE_HEADER_SIZE = 28, AUTH_HEADER_SIZE = 60, PLAIN_HEADER_SIZE = 32;

    /** One live variable. */
    public record Variable(Guid vendor, String name, long attributes, byte[] data) {}

    private final List<Variable> variables;
    private final boolean authenticated;

    private EdkVariableStore(List<Variable> variables, boolean authenticated) {
        this.variables = variables;
        this.authenticated = authenticated;
    }

    public static boolean looksLikeFirmwareVolume(byte[] b) {
        return Bytes.startsWith(b, 40, new byte[] {'_', 'F', 'V', 'H'});
    }

    public static EdkVariableStore parse(byte[] fv) {
        if (!looksLikeFirmwareVolume(fv)) throw new FormatException("no firmware volume signature \"_FVH\" at offset 0x28");
        int hdrLen = Bytes.u16(fv, 48, "FV HeaderLength");
        long store = hdrLen;
        Guid sig = Guid.fromBytes(fv, store);
        boolean auth;
        if (sig.equals(AUTHENTICATED_VARIABLE_GUID)) auth = true;
        else if (sig.equals(VARIABLE_GUID)) auth = false;
        else throw new FormatException(String.format("no variable store header at offset 0x%x (signature %s)", store, sig));
        long size = Bytes.u32(fv, store + 16, "variable store Size");
        long end = Math.min(fv.length, store + size);
        int headerSize = auth ? AUTH_HEADER_SIZE : PLAIN_HEADER_SIZE;
        List<Variable> added = new ArrayList<>(), transition = new ArrayList<>();
        long pos = Bytes.alignUp(store + STORE_HEADER_SIZE, 4);
        while (pos + headerSize <= end && Bytes.u16(fv, pos, "StartId") == 0x55aa) {
            int state = Bytes.u8(fv, pos + 2, "State");
            long attrs = Bytes.u32(fv, pos + 4, "Attributes");
            long nameSize = Bytes.u32(fv, pos + headerSize - 24, "NameSize");
            long dataSize = Bytes.u32(fv, pos + headerSize - 20, "DataSize");
            Guid vendor = Guid.fromBytes(fv, pos + headerSize - 16);
            long nameAt = pos + headerSize, dataAt = nameAt + nameSize;
            if (nameSize > end - nameAt || dataSize > end - dataAt) {
                throw new FormatException(String.format("variable at offset 0x%x: name 0x%x + data 0x%x bytes run past the store end 0x%x", pos, nameSize, dataSize, end));
            }
            String name = new String(fv, (int) nameAt, (int) nameSize, StandardCharsets.UTF_16LE);
            int nul = name.indexOf('\0');
            if (nul >= 0) name = name.substring(0, nul);
            Variable v = new Variable(vendor, name, attrs, Bytes.slice(fv, dataAt, dataSize, "variable data"));
            if (state == VAR_ADDED) added.add(v);
            else if (state == (VAR_ADDED & VAR_IN_DELETED_TRANSITION)) transition.add(v);
            pos = Bytes.alignUp(dataAt + dataSize, 4);
        }
        // A variable caught in deletion counts only when no fully added copy exists.
        for (Variable t : transition) {
            if (added.stream().noneMatch(a -> a.vendor().equals(t.vendor()) && a.name().equals(t.name()))) added.add(t);
        }
        return new EdkVariableStore(Collections.unmodifiableList(added), auth);
    }

    public List<Variable> variables() { return variables; }
    public boolean authenticated() { return authenticated; }

    public Optional<Variable> get(Guid vendor, String name) {
        return variables.stream().filter(v -> v.vendor().equals(vendor) && v.name().equals(name)).findFirst();
    }

    public Optional<byte[]> db() { return get(IMAGE_SECURITY_DATABASE, "db").map(Variable::data); }
    public Optional<byte[]> dbx() { return get(IMAGE_SECURITY_DATABASE, "dbx").map(Variable::data); }
    public Optional<byte[]> kek() { return get(GLOBAL_VARIABLE, "KEK").map(Variable::data); }
    public Optional<byte[]> pk() { return get(GLOBAL_VARIABLE, "PK").map(Variable::data); }
}
