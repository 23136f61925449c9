package dev.efiemu.session;

import dev.efiemu.core.Firmware;
import dev.efiemu.loader.FormatException;
import dev.efiemu.loader.auth.EdkVariableStore;
import dev.efiemu.loader.auth.TrustStore;
import dev.efiemu.protocols.SecureBoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What --vars, --secure-boot, --db and --dbx set up before the payload starts. */
public record FirmwareKeys(SecureBoot secureBoot, Path ownStore) {

    public static FirmwareKeys apply(Firmware fw, Path vars, boolean secureBoot, List<Path> db, List<Path> dbx) throws IOException {
        EdkVariableStore ovmf = null;
        Path own = null;
        if (vars != null) {
            if (Files.isRegularFile(vars) && EdkVariableStore.looksLikeFirmwareVolume(Inputs.read(vars, "--vars"))) {
                try {
                    ovmf = EdkVariableStore.parse(Files.readAllBytes(vars));
                } catch (FormatException e) {
                    throw new BootError("--vars " + vars + ": " + e.getMessage());
                }
                SecureBoot.importVariables(fw, ovmf);
                if (fw.variables().get("PK", dev.efiemu.core.efi.Guids.GLOBAL_VARIABLE) != null) {
                    // a platform key is enrolled: user mode (SetupMode is volatile, the store does not hold it)
                    fw.variables().put("SetupMode", dev.efiemu.core.efi.Guids.GLOBAL_VARIABLE,
                            dev.efiemu.core.runtime.VariableStore.BOOTSERVICE_ACCESS | dev.efiemu.core.runtime.VariableStore.RUNTIME_ACCESS, new byte[] {0});
                }
            } else {
                own = vars;
                VariableFile.load(vars, fw.variables());
            }
        }
        if (!secureBoot) {
            if (!db.isEmpty() || !dbx.isEmpty()) throw new BootError("--db and --dbx need --secure-boot");
            return new FirmwareKeys(null, own);
        }
        TrustStore.Builder keys = TrustStore.builder();
        try {
            for (Path p : db) keys.addDbFile(p);
            for (Path p : dbx) keys.addDbxFile(p);
            if (ovmf != null) keys.addVarsFile(vars);
        } catch (FormatException e) {
            throw new BootError(e.getMessage());
        }
        TrustStore store = keys.build();
        if (store.allowedCerts().isEmpty() && store.allowedHashes().isEmpty()) {
            throw new BootError("--secure-boot needs keys: --db CERT|ESL, or --vars with an OVMF VARS file that has a db");
        }
        return new FirmwareKeys(SecureBoot.enable(fw, store, ovmf), own);
    }

    /** Writes the payload's non-volatile variables back to efiemu's own store file, if one was given. */
    public void saveVariables(Firmware fw) throws IOException {
        if (ownStore != null) VariableFile.save(ownStore, fw.variables());
    }
}
