package dev.efiemu.session;

import dev.efiemu.core.handoff.Handoff;
import dev.efiemu.core.handoff.KexecPlan;
import dev.efiemu.core.memory.HostMemoryLayout;
import dev.efiemu.host.Kexec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A hand-off made into this host's next kernel: the kexec_load(2) plan (at most 16 segments,
 * entered at the trampoline's 64-bit entry), checked against /proc/iomem before anything is
 * loaded, then loaded like {@code kexec -l}.
 *
 * @param plan     the segments and entry
 * @param problems why loading would fail or crash the machine, one sentence each (empty: fine)
 * @param host     where the trampoline finds ACPI and SMBIOS
 */
public record KexecLoad(KexecPlan plan, List<String> problems, HostTables host, Path iomem) {

    /** Plans {@code h} and validates it against this host's /proc/iomem (System RAM, crash kernel). */
    public static KexecLoad plan(Handoff h, HostTables host) {
        return plan(h, host, Path.of("/proc/iomem"));
    }

    /** Plans {@code h} and validates it against a machine's /proc/iomem saved in {@code iomemFile} (a dry run for that machine). */
    public static KexecLoad plan(Handoff h, HostTables host, Path iomemFile) {
        KexecPlan plan = KexecPlan.of(h);
        String iomem;
        try {
            iomem = Files.readString(iomemFile);
        } catch (IOException e) {
            throw new BootError("cannot read " + iomemFile + ": " + e.getMessage());
        }
        List<HostMemoryLayout.Range> ram = HostMemoryLayout.parseIomemTopLevel(iomem);
        List<HostMemoryLayout.Range> crash = HostMemoryLayout.findIomem(iomem, "Crash kernel");
        return new KexecLoad(plan, plan.validate(ram, crash), host, iomemFile);
    }

    /** The plan, the host tables and the validation, for the user. */
    public String describe() {
        StringBuilder b = new StringBuilder(plan.describe());
        // AArch64: the trampoline fills no ACPI/SMBIOS slots (docs/handoff.md, AArch64)
        if (plan.arch() != dev.efiemu.cpu.Arch.AARCH64) b.append("host tables:    ").append(host.describe()).append('\n');
        b.append("validation against ").append(iomem).append(": ").append(problems.isEmpty() ? "ok" : problems.size() + " problem(s)").append('\n');
        for (String p : problems) b.append("  - ").append(p).append('\n');
        return b.toString();
    }

    /**
     * Loads the image into the kernel (kexec_load). The next {@code kexec -e}, {@code systemctl
     * kexec} or {@link Kexec#exec} boots it.
     *
     * @throws BootError when validation found problems or the kernel refused (explained)
     */
    public void load() {
        if (!problems.isEmpty()) throw new BootError("the hand-off does not fit this host: " + problems.get(0));
        try {
            Kexec.load(plan.arch() == dev.efiemu.cpu.Arch.AARCH64 ? "aarch64" : "x86_64", plan.entry(),
                    plan.segments().stream().map(s -> new Kexec.Segment(s.address(), s.bytes(), s.size())).toList());
        } catch (IllegalStateException e) {
            throw new BootError(e.getMessage());
        }
    }
}
