package dev.efiemu.cpu;

/** Page permission bits for {@link Cpu#map} and {@link Cpu#protect}. */
public final class Perm {
    public static final int NONE = 0;
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    public static final int ALL = READ | WRITE | EXEC;

    private Perm() {}
}
