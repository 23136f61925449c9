package dev.efiemu.protocols;

import dev.efiemu.core.Guid;
import dev.efiemu.core.Guids;
import dev.efiemu.core.Machine;
import dev.efiemu.core.Status;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.core.tables.SystemTables;
import dev.efiemu.core.trap.Call;
import java.util.List;

/**
 * EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification, rev 00.13 §6) over virtual PCRs: payloads
 * measure into it exactly as into a firmware TPM; the log lives in guest memory for GetEventLog
 * and host-side for --eventlog. SubmitCommand has no TPM behind it and answers EFI_UNSUPPORTED.
 */
public final class Tcg2Protocol {
    public static final Guid GUID = Guids.TCG2;
    public static final Guid FINAL_EVENTS_TABLE = Guids.define("1e2ed096-30e2-4254-bd89-863bbef82325", "Tcg2FinalEventsTable");
    static final int LOG_FORMAT_TCG_2 = 2;
    static final long EXTEND_ONLY = 0x1, PE_COFF_IMAGE = 0x10;
    static final int LOG_AREA = 256 * 1024, FINAL_AREA = 64 * 1024;

    private final Machine m;
    private final EventLog log;
    private final long logArea;
    private final long finalTable;
    private long lastEntry;
    private boolean logRetrieved;
    private long finalUsed = 16;

    public Tcg2Protocol(Machine m, SystemTables tables, EventLog log) {
        this.m = m;
        this.log = log;
        logArea = m.allocatePool(MemoryType.BOOT_SERVICES_DATA, LOG_AREA);
        m.memory().write(logArea, log.bytes());
        // EFI_TCG2_FINAL_EVENTS_TABLE {u64 Version = 1; u64 NumberOfEvents; events...} (§6.7.1)
        finalTable = m.allocatePool(MemoryType.ACPI_NVS, FINAL_AREA);
        m.memory().u64(finalTable, 1);
        tables.installConfigTable(FINAL_EVENTS_TABLE, finalTable);
        long iface = m.newInterface("Tcg2", List.of(
                new Machine.FunctionSpec("GetCapability", 2, this::getCapability),
                new Machine.FunctionSpec("GetEventLog", 5, this::getEventLog),
                new Machine.FunctionSpec("HashLogExtendEvent", 5, this::hashLogExtendEvent),
                new Machine.FunctionSpec("SubmitCommand", 5, null),
                new Machine.FunctionSpec("GetActivePcrBanks", 2, this::getActivePcrBanks),
                new Machine.FunctionSpec("SetActivePcrBanks", 2, null),
                new Machine.FunctionSpec("GetResultOfSetActivePcrBanks", 3, null)), 0);
        m.installProtocol(null, GUID, iface);
    }

    public EventLog log() {
        return log;
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
        if (c.arg(4) != 0) c.memory().u8(c.arg(4), 0);
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
        if ((flags & PE_COFF_IMAGE) != 0) {
            c.note("PE_COFF_IMAGE measurement not implemented");
            return c.unsupported("PE_COFF_IMAGE");
        }
        byte[] eventData = mem.read(ev + 4 + headerSize, (int) (size - 4 - headerSize));
        byte[] bytes = mem.read(data, (int) len);
        boolean logIt = (flags & EXTEND_ONLY) == 0;
        byte[] rec = log.measure(pcr, type, bytes, eventData, logIt);
        if (logIt) {
            long at = logArea + log.bytes().length - rec.length;
            if (log.bytes().length > LOG_AREA) return Status.OUT_OF_RESOURCES;
            mem.write(at, rec);
            lastEntry = at;
            if (logRetrieved && finalUsed + rec.length <= FINAL_AREA) {
                mem.write(finalTable + finalUsed, rec);
                finalUsed += rec.length;
                mem.u64(finalTable + 8, mem.u64(finalTable + 8) + 1);
            }
        }
        c.note(String.format("PCR %d type %d, %d bytes", pcr, type, len));
        return Status.SUCCESS;
    }
}
