package dev.efiemu.protocols;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.machine.RunOutcome;
import dev.efiemu.cpu.Arch;
import dev.efiemu.loader.pe.PeImage;
import dev.efiemu.protocols.fs.EspDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiConsumer;

/** Runs a payload (on the machine its PE header asks for) from a virtual ESP, keeping the machine open so a test can inspect it afterwards. */
final class UkiRun {
    private UkiRun() {}

    /**
     * @param inspect called with the firmware and the outcome before the machine is closed
     */
    static void run(Path payload, Path esp, boolean writable, BiConsumer<Firmware, Result> inspect) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        byte[] file = Files.readAllBytes(payload);
        MachineConfig cfg = MachineConfig.defaults().withArch(Arch.fromPeMachine(PeImage.machineOf(file))).withSeed(1L).withBudget(120_000)
                .withConsole(new PrintStream(console, true));
        try (Firmware fw = new Firmware(cfg, PeImageFile::parse)) {
            StandardProtocols std = StandardProtocols.install(fw, null, null);
            EspDevice.Placement where = EspDevice.servePayload(fw, esp, writable, payload);
            RunOutcome o = fw.runPayload(file, payload.getFileName().toString(), null, where.device(),
                    DevicePath.filePath(where.path()));
            inspect.accept(fw, new Result(o, console.toString(), std));
        }
    }

    record Result(RunOutcome outcome, String console, StandardProtocols protocols) {}
}
