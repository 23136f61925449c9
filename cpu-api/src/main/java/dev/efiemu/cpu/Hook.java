package dev.efiemu.cpu;

/** A registered hook; closing it removes it from the engine. */
public interface Hook extends AutoCloseable {
    @Override
    void close();
}
