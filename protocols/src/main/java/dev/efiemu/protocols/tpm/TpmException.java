package dev.efiemu.protocols.tpm;

/** A TPM that cannot be reached, is not a TPM 2.0, or failed a command: one line for the user. */
public final class TpmException extends RuntimeException {
    public TpmException(String message) {
        super(message);
    }

    public TpmException(String message, Throwable cause) {
        super(message, cause);
    }
}
