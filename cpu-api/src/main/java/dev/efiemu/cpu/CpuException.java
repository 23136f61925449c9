package dev.efiemu.cpu;

/** An engine call failed (bad mapping, bad register, library missing). Carries the engine's own message. */
public class CpuException extends RuntimeException {
    public CpuException(String message) {
        super(message);
    }

    public CpuException(String message, Throwable cause) {
        super(message, cause);
    }
}
