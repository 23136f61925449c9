package dev.efiemu.cpu;

/** No CPU engine could be loaded. The message is one line saying what is missing and how the set-up gets it. */
public class EngineUnavailableException extends CpuException {
    public EngineUnavailableException(String message) {
        super(message);
    }
}
