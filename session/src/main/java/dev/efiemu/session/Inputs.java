package dev.efiemu.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the user's input files, with the one-line errors a front end prints. */
public final class Inputs {
    private Inputs() {}

    /** The whole file; {@code what} names it in the error ("payload", "initrd", "--vars"). */
    public static byte[] read(Path p, String what) {
        try {
            if (Files.isDirectory(p)) throw new BootError(what + " " + p + " is a directory");
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new BootError(what + " " + p + ": no such file");
        } catch (IOException e) {
            throw new BootError(what + " " + p + ": " + e.getMessage());
        }
    }
}
