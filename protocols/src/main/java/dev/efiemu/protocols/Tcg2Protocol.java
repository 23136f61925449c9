package dev.efiemu.protocols;

import dev.efiemu.protocols.tpm.EventLog;
import dev.efiemu.protocols.tpm.TcgLogParser;
import dev.efiemu.protocols.tpm.TpmException;
import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.util.List;

/**
 * EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification, rev 00.13 §6) over efiemu's virtual PCRs or
 * a real TPM 2.0 ({@link dev.efiemu.protocols.tpm.Tpm}): payloads measure into it exactly as into a
 * firmware TPM (PE_COFF_IMAGE measurements hash the image the Authenticode way); the log lives in
 * guest memory for GetEventLog and host-side for --eventlog. SubmitCommand passes commands to a
 * real TPM; the virtual one takes none (EFI_UNSUPPORTED). A TPM command that fails is
 * EFI_DEVICE_ERROR to the payload and a line in the summary.
 */
public final class Tcg2Protocol {
    public static final Guid GUID = Guids.TCG2;
    public static final Guid FINAL_EVENTS_TABLE = Guids.define("1e2ed096-30e2-4254-bd89-863bbef82325", "Tcg2FinalEventsTable");
    static final int LOG_FORMAT_TCG_2 = 2;
    static final long EXTEND_ONLY = 0x1, PE_COFF_IMAGE = 0x10;
    static final int LOG_AREA = 256 * 1024, FINAL_AREA = 64 * 1024;

    private final EventLog log;
    private final java.util.List<String> deviceErrors = new java.util.ArrayList<>();
    private final long logArea;
    private final long logCapacity;
    private final dev.efiemu.core.memory.GuestMemory mem;
    private final long finalTable;
    private long lastEntry;
    private boolean logRetrieved;
    private long finalUsed = 16;
    /** An event did not fit in the log area (GetEventLog's EventLogTruncated), or in the final-events table. */
    private boolean truncated, finalTruncated;

    public Tcg2Protocol(ProtocolHost host, EventLog log) {
        this.log = log;
        this.mem = host.memory();
        byte[] start = log.bytes();
        logCapacity = Math.max(LOG_AREA, start.length + LOG_AREA / 2);
        logArea = host.allocatePool(MemoryType.BOOT_SERVICES_DATA, logCapacity);
        host.memory().write(logArea, start);
        var records = TcgLogParser.parse(start).records();
        if (!records.isEmpty()) lastEntry = logArea + records.get(records.size() - 1).offset(); // a continued log's last event
        // EFI_TCG2_FINAL_EVENTS_TABLE {u64 Version = 1; u64 NumberOfEvents; events...} (§6.7.1)
        finalTable = host.allocatePool(MemoryType.ACPI_NVS, FINAL_AREA);
        host.memory().u64(finalTable, 1);
        host.installConfigTable(FINAL_EVENTS_TABLE, finalTable);
        long iface = host.newInterface("Tcg2", List.of(
                new FunctionSpec("GetCapability", this::getCapability, "This", "ProtocolCapability"),
                new FunctionSpec("GetEventLog", this::getEventLog,
                        "This", "EventLogFormat", "EventLogLocation", "EventLogLastEntry", "EventLogTruncated"),
                new FunctionSpec("HashLogExtendEvent", this::hashLogExtendEvent, "This", "Flags", "DataToHash", "DataToHashLen=", "EfiTcgEvent"),
                new FunctionSpec("SubmitCommand", this::submitCommand,
                        "This", "InputParameterBlockSize", "InputParameterBlock", "OutputParameterBlockSize", "OutputParameterBlock"),
                new FunctionSpec("GetActivePcrBanks", this::getActivePcrBanks, "This", "ActivePcrBanks"),
                new FunctionSpec("SetActivePcrBanks", null, "This", "ActivePcrBanks"),
                new FunctionSpec("GetResultOfSetActivePcrBanks", null, "This", "OperationPresent", "Response")), 0);
        host.installProtocol(null, GUID, iface);
    }

    public EventLog log() {
        return log;
    }

    /** TPM commands that failed during the run (each answered EFI_DEVICE_ERROR), for the summary. */
    public java.util.List<String> deviceErrors() {
        return java.util.List.copyOf(deviceErrors);
    }

    /**
     * SubmitCommand(This, InputSize, Input, OutputSize, Output) (§6.6.6): passes a TPM 2.0 command
     * to the TPM behind the protocol. The command's own size field must match InputSize; a
     * response larger than OutputSize is EFI_BUFFER_TOO_SMALL. The virtual TPM takes no commands.
     */
    long submitCommand(Call c) {
        long inSize = c.arg(1) & 0xffffffffL, in = c.arg(2), outSize = c.arg(3) & 0xffffffffL, out = c.arg(4);
        if (in == 0 || out == 0 || inSize < 10 || inSize > 4096) return Status.INVALID_PARAMETER;
        var mem = c.memory();
        byte[] cmd = mem.read(in, (int) inSize);
        long declared = java.nio.ByteBuffer.wrap(cmd).getInt(2) & 0xffffffffL;
        if (declared != inSize) {
            c.note("command size field " + declared + " != InputParameterBlockSize " + inSize);
            return Status.INVALID_PARAMETER;
        }
        byte[] r;
        try {
            r = log.tpm().submit(cmd);
        } catch (UnsupportedOperationException e) {
            c.note("no TPM behind the virtual one");
            return Status.UNSUPPORTED;
        } catch (TpmException e) {
            deviceErrors.add(e.getMessage());
            c.note("TPM: " + e.getMessage());
            return Status.DEVICE_ERROR;
        }
        if (r.length > outSize) {
            c.note("response of " + r.length + " bytes");
            return Status.BUFFER_TOO_SMALL;
        }
        mem.write(out, r);
        c.note(String.format("command 0x%x, response rc 0x%x", java.nio.ByteBuffer.wrap(cmd).getInt(6), java.nio.ByteBuffer.wrap(r).getInt(6)));
        return Status.SUCCESS;
    }

    private int bankBits() {
        int bits = 0;
        for (EventLog.Bank b : log.banks()) bits |= b.bit();
        return bits;
    }

    /** EFI_TCG2_BOOT_SERVICE_CAPABILITY, natural alignment (36 bytes), version 1.1. */
    long getCapability(Call c) {
        long p = c.arg(1);
        if (p == 0) return Status.INVALID_PARAMETER;
        int size = c.memory().u8(p);
        if (size < 36) return Status.BUFFER_TOO_SMALL;
        var mem = c.memory();
        mem.fill(p, 36, 0);
        mem.u8(p, 36);
        mem.u8(p + 1, 1);
        mem.u8(p + 2, 1); // StructureVersion 1.1
        mem.u8(p + 3, 1);
        mem.u8(p + 4, 1); // ProtocolVersion 1.1
        mem.u32(p + 8, bankBits());
        mem.u32(p + 12, LOG_FORMAT_TCG_2);
        mem.u8(p + 16, 1); // TPMPresentFlag
        mem.u16(p + 18, 4096);
        mem.u16(p + 20, 4096);
        mem.u32(p + 24, 0x45464945); // "EFIE"
        mem.u32(p + 28, log.banks().size());
        mem.u32(p + 32, bankBits());
        return Status.SUCCESS;
    }

    long getEventLog(Call c) {
        if (c.arg(1) != LOG_FORMAT_TCG_2) return Status.INVALID_PARAMETER;
        if (c.arg(2) != 0) c.memory().u64(c.arg(2), logArea);
        if (c.arg(3) != 0) c.memory().u64(c.arg(3), lastEntry);
        if (c.arg(4) != 0) c.memory().u8(c.arg(4), truncated ? 1 : 0);
        logRetrieved = true;
        return Status.SUCCESS;
    }

    long getActivePcrBanks(Call c) {
        if (c.arg(1) == 0) return Status.INVALID_PARAMETER;
        c.memory().u32(c.arg(1), bankBits());
        return Status.SUCCESS;
    }

    /** HashLogExtendEvent(This, Flags, DataToHash, DataToHashLen, EFI_TCG2_EVENT*) (§6.6.5). */
    long hashLogExtendEvent(Call c) {
        long flags = c.arg(1), data = c.arg(2), len = c.arg(3), ev = c.arg(4);
        var mem = c.memory();
        if (ev == 0 || (data == 0 && len != 0)) return Status.INVALID_PARAMETER;
        // #pragma pack(1): {u32 Size; {u32 HeaderSize; u16 HeaderVersion; u32 PCRIndex; u32 EventType}; u8 Event[]}
        long size = mem.u32(ev), headerSize = mem.u32(ev + 4);
        int pcr = (int) mem.u32(ev + 10), type = (int) mem.u32(ev + 14);
        if (headerSize != 14 || size < 4 + headerSize || pcr < 0 || pcr > 23 || Long.compareUnsigned(len, 1L << 30) > 0) return Status.INVALID_PARAMETER;
        byte[] eventData = mem.read(ev + 4 + headerSize, (int) (size - 4 - headerSize));
        byte[] bytes = mem.read(data, (int) len);
        boolean logIt = (flags & EXTEND_ONLY) == 0;
        byte[] rec;
        try {
            if ((flags & PE_COFF_IMAGE) != 0) {
                // The PE/COFF image's Authenticode digest in each bank, as edk2's Tcg2Dxe
                // (MeasurePeImageAndExtend) does: DataToHash is the image as a file.
                java.util.Map<EventLog.Bank, byte[]> digests = new java.util.LinkedHashMap<>();
                dev.efiemu.loader.pe.PeImage pe;
                try {
                    pe = dev.efiemu.loader.pe.PeImage.parse(bytes, "PE_COFF_IMAGE buffer");
                } catch (RuntimeException e) {
                    c.note("not a PE image (" + e.getMessage() + ")");
                    return c.unsupported("PE_COFF_IMAGE of no PE image"); // as edk2's MeasurePeImageAndExtend answers
                }
                for (EventLog.Bank b : log.banks()) digests.put(b, dev.efiemu.loader.auth.AuthenticodeDigest.digest(pe, b.jcaName()));
                rec = log.extend(pcr, type, digests, eventData, logIt);
            } else {
                rec = log.measure(pcr, type, bytes, eventData, logIt);
            }
        } catch (TpmException e) {
            deviceErrors.add(e.getMessage());
            c.note("TPM: " + e.getMessage());
            return Status.DEVICE_ERROR;
        }
        if (logIt && !appendToGuestLog(rec)) return Status.VOLUME_FULL; // §6.6.5: extended, but not (fully) logged
        c.note(String.format("PCR %d type %d, %d bytes", pcr, type, len));
        return Status.SUCCESS;
    }

    /**
     * Copies a record just logged into the log area the payload reads (GetEventLog), and into the
     * final-events table once the payload has retrieved the log (§6.7.1). False when either is full,
     * as edk2's Tcg2Dxe (TcgDxeLogEvent) answers: the log is then truncated for good (GetEventLog
     * says so, its last entry stays), and so is the final-events table.
     */
    private boolean appendToGuestLog(byte[] rec) {
        int end = log.bytes().length;
        if (end > logCapacity) {
            truncated = true; // the host log keeps growing with every event: this one and all later ones stay out
            return false;
        }
        long at = logArea + end - rec.length;
        mem.write(at, rec);
        lastEntry = at;
        if (!logRetrieved) return true;
        if (finalTruncated || finalUsed + rec.length > FINAL_AREA) {
            finalTruncated = true;
            return false;
        }
        mem.write(finalTable + finalUsed, rec);
        finalUsed += rec.length;
        mem.u64(finalTable + 8, mem.u64(finalTable + 8) + 1);
        return true;
    }

    /**
     * An event the firmware itself measures (PCR 0-7 configuration, separators, images, ExitBootServices):
     * extended into the TPM and logged like a payload's. A TPM failure is recorded for the summary.
     *
     * @param digests one per bank, or null to hash {@code data} in every bank
     */
    public void firmwareEvent(int pcr, int type, byte[] data, java.util.Map<EventLog.Bank, byte[]> digests, byte[] eventData) {
        try {
            byte[] rec = digests != null ? log.extend(pcr, type, digests, eventData, true) : log.measure(pcr, type, data, eventData, true);
            appendToGuestLog(rec);
        } catch (TpmException e) {
            deviceErrors.add(e.getMessage());
        }
    }
}
