package dev.efiemu.protocols.tpm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile §10: a TCG_PCR_EVENT
 * holding the Spec ID event first, then TCG_PCR_EVENT2 records), kept host-side, and the TPM its
 * events extend: efiemu's virtual PCRs, or a real TPM 2.0 ({@link Tpm}).
 */
public final class EventLog {
    public static final int EV_NO_ACTION = 3, EV_IPL = 13, EV_EVENT_TAG = 6;

    /** A PCR bank: TPM_ALG_ID, digest size, JCA name. */
    public enum Bank {
        SHA1(0x0004, 20, "SHA-1"), SHA256(0x000b, 32, "SHA-256"), SHA384(0x000c, 48, "SHA-384"), SHA512(0x000d, 64, "SHA-512");

        public final int algId, size;
        final String jca;

        Bank(int algId, int size, String jca) {
            this.algId = algId;
            this.size = size;
            this.jca = jca;
        }

        /** EFI_TCG2_BOOT_HASH_ALG_* bit (TCG EFI Protocol spec §6.4). */
        public int bit() {
            return switch (this) {
                case SHA1 -> 1;
                case SHA256 -> 2;
                case SHA384 -> 4;
                case SHA512 -> 8;
            };
        }

        /** The JCA name ("SHA-256"). */
        public String jcaName() {
            return jca;
        }

        public byte[] hash(byte[] data) {
            try {
                return MessageDigest.getInstance(jca).digest(data);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** One logged event, as recorded. */
    public record Event(int pcr, int type, Map<Bank, byte[]> digests, byte[] data) {}

    private final List<Bank> banks;
    private final Tpm tpm;
    private final List<Event> events = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final int priorBytes;

    /** A fresh log over efiemu's virtual TPM with these banks. */
    public EventLog(List<Bank> banks) {
        this(new VirtualTpm(banks), null);
    }

    /**
     * A log whose events extend {@code tpm}. With {@code prior} (the host's current log, as Linux
     * exports it in binary_bios_measurements), new events are appended to it, so that replaying
     * the whole log gives the TPM's PCRs; its banks must be the TPM's active banks. Without it the
     * log starts with a Spec ID event for the TPM's banks.
     *
     * @throws IllegalArgumentException when {@code prior} is truncated or malformed (with the offset),
     *         or lists other banks than the TPM's
     */
    public EventLog(Tpm tpm, byte[] prior) {
        this.tpm = tpm;
        this.banks = List.copyOf(tpm.banks());
        if (prior != null) {
            TcgLogParser.Parsed parsed = TcgLogParser.parse(prior);
            List<Bank> logBanks = parsed.banks();
            prior = Arrays.copyOf(prior, parsed.end()); // without the padding after the last event
            if (!new java.util.HashSet<>(logBanks).equals(new java.util.HashSet<>(banks))) {
                throw new IllegalArgumentException("the log's banks " + logBanks + " are not the TPM's active banks " + banks);
            }
            log.writeBytes(prior);
            priorBytes = prior.length;
        } else {
            log.writeBytes(specIdEvent());
            priorBytes = 0;
        }
    }

    /** The TPM behind the log. */
    public Tpm tpm() {
        return tpm;
    }

    /** Bytes of the log that were there before this run (the host's log), 0 for a fresh log. */
    public int priorBytes() {
        return priorBytes;
    }

    public List<Bank> banks() {
        return banks;
    }

    /** Hashes {@code data} in every bank, extends {@code pcr} and logs the event; returns the record's bytes. */
    public byte[] measure(int pcr, int type, byte[] data, byte[] eventData, boolean logIt) {
        Map<Bank, byte[]> digests = new LinkedHashMap<>();
        for (Bank b : banks) digests.put(b, b.hash(data));
        return extend(pcr, type, digests, eventData, logIt);
    }

    /** Extends {@code pcr} in the TPM with these digests and (if {@code logIt}) logs the event. */
    public byte[] extend(int pcr, int type, Map<Bank, byte[]> digests, byte[] eventData, boolean logIt) {
        tpm.extend(pcr, digests);
        if (!logIt) return new byte[0];
        events.add(new Event(pcr, type, digests, eventData.clone()));
        byte[] rec = event2(pcr, type, digests, eventData);
        log.writeBytes(rec);
        return rec;
    }

    /** The PCR as the TPM has it now. */
    public byte[] pcr(Bank bank, int index) {
        return tpm.pcr(bank, index);
    }

    /** The events this run logged (not the host's earlier ones). */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The whole log in the binary TCG2 format (what tpm2_eventlog reads). */
    public byte[] bytes() {
        return log.toByteArray();
    }

    private static byte[] event2(int pcr, int type, Map<Bank, byte[]> digests, byte[] data) {
        int size = 4 + 4 + 4;
        for (byte[] d : digests.values()) size += 2 + d.length;
        size += 4 + data.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(pcr).putInt(type).putInt(digests.size());
        for (Map.Entry<Bank, byte[]> d : digests.entrySet()) b.putShort((short) d.getKey().algId).put(d.getValue());
        b.putInt(data.length).put(data);
        return b.array();
    }

    /** TCG_PCR_EVENT carrying TCG_EfiSpecIDEventStruct "Spec ID Event03" (PFP §10.4.5.1). */
    private byte[] specIdEvent() {
        ByteBuffer id = ByteBuffer.allocate(16 + 4 + 4 + 4 + 4 * banks.size() + 1).order(ByteOrder.LITTLE_ENDIAN);
        id.put(Arrays.copyOf("Spec ID Event03".getBytes(StandardCharsets.US_ASCII), 16));
        id.putInt(0); // platformClass: client
        id.put((byte) 0).put((byte) 2).put((byte) 0).put((byte) 2); // spec 2.0 errata 0, uintnSize 2 (UINT64)
        id.putInt(banks.size());
        for (Bank b : banks) id.putShort((short) b.algId).putShort((short) b.size);
        id.put((byte) 0); // vendorInfoSize
        byte[] body = id.array();
        ByteBuffer e = ByteBuffer.allocate(4 + 4 + 20 + 4 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        e.putInt(0).putInt(EV_NO_ACTION).put(new byte[20]).putInt(body.length).put(body);
        return e.array();
    }
}
