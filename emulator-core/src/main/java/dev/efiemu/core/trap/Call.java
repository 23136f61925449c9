package dev.efiemu.core.trap;

import dev.efiemu.core.memory.GuestMemory;
import dev.efiemu.cpu.Cpu;

/** One guest call of a firmware function, as its handler sees it. */
public final class Call {
    private final Service service;
    private final Cpu cpu;
    private final Abi abi;
    private final GuestMemory memory;
    private final StringBuilder note = new StringBuilder();
    private String unsupportedArgument;

    Call(Service service, Cpu cpu, Abi abi, GuestMemory memory) {
        this.service = service;
        this.cpu = cpu;
        this.abi = abi;
        this.memory = memory;
    }

    public Service service() {
        return service;
    }

    public long arg(int i) {
        return abi.arg(cpu, i);
    }

    public GuestMemory memory() {
        return memory;
    }

    public long returnAddress() {
        return abi.returnAddress(cpu);
    }

    /** Adds decoded detail to this call's trace line ("file=\\EFI\\x.efi"). */
    public Call note(String text) {
        if (note.length() > 0) note.append(' ');
        note.append(text);
        return this;
    }

    /**
     * Answers EFI_UNSUPPORTED for what {@code argument} names (a GUID, a mode, a flag): the run
     * summary counts every EFI_UNSUPPORTED by service and argument, so none is a silent success.
     */
    public long unsupported(String argument) {
        this.unsupportedArgument = argument;
        return dev.efiemu.core.efi.Status.UNSUPPORTED;
    }

    String unsupportedArgument() {
        return unsupportedArgument;
    }

    String noteText() {
        return note.toString();
    }
}
