package dev.efiemu.protocols;

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
 * Virtual PCRs and a TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile §10:
 * a TCG_PCR_EVENT holding the Spec ID event first, then TCG_PCR_EVENT2 records), host-side. The
 * PCRs start at zero; extend is PCR = H(PCR || digest) in every bank.
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
    private final Map<Bank, byte[][]> pcrs = new LinkedHashMap<>();
    private final List<Event> events = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    public EventLog(List<Bank> banks) {
        this.banks = List.copyOf(banks);
        for (Bank b : banks) {
            byte[][] p = new byte[24][];
            for (int i = 0; i < 24; i++) p[i] = new byte[b.size];
            pcrs.put(b, p);
        }
        log.writeBytes(specIdEvent());
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

    public byte[] extend(int pcr, int type, Map<Bank, byte[]> digests, byte[] eventData, boolean logIt) {
        for (Map.Entry<Bank, byte[]> d : digests.entrySet()) {
            byte[][] bank = pcrs.get(d.getKey());
            byte[] joined = Arrays.copyOf(bank[pcr], bank[pcr].length + d.getValue().length);
            System.arraycopy(d.getValue(), 0, joined, bank[pcr].length, d.getValue().length);
            bank[pcr] = d.getKey().hash(joined);
        }
        if (!logIt) return new byte[0];
        events.add(new Event(pcr, type, digests, eventData.clone()));
        byte[] rec = event2(pcr, type, digests, eventData);
        log.writeBytes(rec);
        return rec;
    }

    public byte[] pcr(Bank bank, int index) {
        return pcrs.get(bank)[index].clone();
    }

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
