package dev.efiemu.protocols.tpm;

import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a crypto-agile TCG2 event log (TCG PC Client Platform Firmware Profile §10.2): a
 * TCG_PCR_EVENT (SHA-1 format) whose data is the "Spec ID Event03" naming the algorithms and
 * their digest sizes, then TCG_PCR_EVENT2 records. Firmware logs end with zero padding (Linux's
 * binary_bios_measurements does not, OVMF's log area may); parsing stops at an all-zero record.
 * Anything truncated or inconsistent is refused with its byte offset.
 */
public final class TcgLogParser {
    /** The parsed log: its banks and its events (with their offsets), and where the events end. */
    public record Parsed(List<Bank> banks, List<Record> records, int end) {}

    /** One TCG_PCR_EVENT2. */
    public record Record(int offset, int pcr, int type, Map<Bank, byte[]> digests, byte[] data) {}

    private TcgLogParser() {}

    public static Parsed parse(byte[] log) {
        if (log.length < 32) {
            throw new IllegalArgumentException("truncated at offset 0 (" + log.length + " bytes; the Spec ID event's header takes 32)");
        }
        ByteBuffer b = ByteBuffer.wrap(log).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int pcr = b.getInt(), type = b.getInt();
            b.position(b.position() + 20);
            int size = b.getInt();
            if (type != EventLog.EV_NO_ACTION || pcr != 0 || size < 24 || size > log.length - 32) {
                throw new IllegalArgumentException("offset 0: not a TCG2 log (no Spec ID event)");
            }
            int specStart = b.position();
            byte[] sig = new byte[16];
            b.get(sig);
            if (!new String(sig, StandardCharsets.US_ASCII).startsWith("Spec ID Event03")) {
                throw new IllegalArgumentException("offset 32: not a crypto-agile log (\"Spec ID Event03\" missing)");
            }
            b.getInt(); // platformClass
            b.position(b.position() + 4); // spec version, uintnSize
            int n = b.getInt();
            if (n < 1 || n > 16) throw new IllegalArgumentException("offset " + (b.position() - 4) + ": " + n + " algorithms");
            Map<Integer, Integer> sizes = new LinkedHashMap<>();
            List<Bank> banks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int alg = b.getShort() & 0xffff, len = b.getShort() & 0xffff;
                sizes.put(alg, len);
                for (Bank k : Bank.values()) if (k.algId == alg) banks.add(k);
            }
            b.position(specStart + size);
            List<Record> records = new ArrayList<>();
            while (b.remaining() > 0) {
                int at = b.position();
                if (b.remaining() < 12) throw new IllegalArgumentException("truncated at offset " + at + " (event " + records.size() + ")");
                int p = b.getInt(), t = b.getInt(), count = b.getInt();
                if (p == 0 && t == 0 && count == 0) {
                    b.position(at);
                    break; // zero padding after the last event
                }
                if (p > 31 || count < 1 || count > 16) {
                    throw new IllegalArgumentException("offset " + at + " (event " + records.size() + "): not an event (PCR " + p + ", " + count + " digests)");
                }
                Map<Bank, byte[]> digests = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    int alg = b.getShort() & 0xffff;
                    Integer len = sizes.get(alg);
                    if (len == null) throw new IllegalArgumentException("offset " + (b.position() - 2) + ": digest of algorithm 0x" + Integer.toHexString(alg) + " the Spec ID event does not list");
                    byte[] d = new byte[len];
                    b.get(d);
                    for (Bank k : Bank.values()) if (k.algId == alg) digests.put(k, d);
                }
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) {
                    throw new IllegalArgumentException("truncated at offset " + at + " (event " + records.size() + ": " + len + " bytes of data, " + b.remaining() + " left)");
                }
                byte[] data = new byte[len];
                b.get(data);
                records.add(new Record(at, p, t, digests, data));
            }
            return new Parsed(List.copyOf(banks), List.copyOf(records), b.position());
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated at offset " + b.position());
        }
    }
}
