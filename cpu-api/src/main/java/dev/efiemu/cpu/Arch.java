package dev.efiemu.cpu;

/** Guest architectures efiemu emulates. PE machine types per PE/COFF spec §3.3.1. */
public enum Arch {
    X86_64(0x8664, "x64"),
    AARCH64(0xaa64, "aa64");

    private final int peMachine;
    private final String efiSuffix;

    Arch(int peMachine, String efiSuffix) {
        this.peMachine = peMachine;
        this.efiSuffix = efiSuffix;
    }

    /** IMAGE_FILE_MACHINE_* value in a PE header. */
    public int peMachine() {
        return peMachine;
    }

    /** The suffix UEFI uses in default boot file names (BOOTX64.EFI, BOOTAA64.EFI). */
    public String efiSuffix() {
        return efiSuffix;
    }

    public static Arch fromPeMachine(int machine) {
        for (Arch a : values()) {
            if (a.peMachine == machine) return a;
        }
        throw new IllegalArgumentException(String.format("unsupported PE machine type 0x%04x", machine));
    }
}
