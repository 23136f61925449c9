package dev.efiemu.protocols.tpm;

import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A TPM 2.0 reached through a {@link TpmTransport}, with the few commands the firmware needs,
 * marshalled by hand (TPM 2.0 Library, Part 3: Commands; big-endian; Part 2 structures):
 * TPM2_GetCapability(TPM_CAP_PCRS) for the active banks, TPM2_PCR_Read, TPM2_PCR_Extend with an
 * empty password session (TPM_RS_PW), and TPM2_Startup(CLEAR) when the TPM is not started yet.
 */
public final class Tpm2Client implements Tpm {
    static final int ST_NO_SESSIONS = 0x8001, ST_SESSIONS = 0x8002;
    static final int CC_STARTUP = 0x144, CC_GET_CAPABILITY = 0x17a, CC_PCR_READ = 0x17e, CC_PCR_EXTEND = 0x182;
    static final int CAP_PCRS = 5, RS_PW = 0x40000009, RC_INITIALIZE = 0x100, SU_CLEAR = 0;

    private final TpmTransport transport;
    private final List<Bank> banks;

    /**
     * Connects: starts the TPM if it is not started, reads its active banks.
     *
     * @throws TpmException when it does not answer like a TPM 2.0, or has no bank efiemu can measure into
     */
    public Tpm2Client(TpmTransport transport) {
        this.transport = transport;
        byte[] r = transport.transact(command(ST_NO_SESSIONS, CC_STARTUP, b -> b.putShort((short) SU_CLEAR)));
        int rc = rc(r);
        if (rc != 0 && rc != RC_INITIALIZE) {
            throw new TpmException(transport.describe() + ": not a TPM 2.0 (TPM2_Startup answered 0x" + Integer.toHexString(rc) + ")");
        }
        banks = readBanks();
        if (banks.isEmpty()) throw new TpmException(transport.describe() + ": no active PCR bank efiemu supports (SHA-1/256/384/512)");
    }

    private List<Bank> readBanks() {
        byte[] r = check("TPM2_GetCapability", transport.transact(command(ST_NO_SESSIONS, CC_GET_CAPABILITY,
                b -> b.putInt(CAP_PCRS).putInt(0).putInt(8))));
        ByteBuffer in = ByteBuffer.wrap(r, 10, r.length - 10);
        in.get(); // moreData
        if (in.getInt() != CAP_PCRS) throw new TpmException(transport.describe() + ": TPM2_GetCapability answered another capability");
        int count = in.getInt();
        List<Bank> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int alg = in.getShort() & 0xffff;
            int n = in.get() & 0xff;
            boolean any = false;
            for (int j = 0; j < n; j++) any |= in.get() != 0;
            for (Bank b : Bank.values()) if (b.algId == alg && any) out.add(b);
        }
        return List.copyOf(out);
    }

    @Override
    public List<Bank> banks() {
        return banks;
    }

    @Override
    public void extend(int pcr, Map<Bank, byte[]> digests) {
        check("TPM2_PCR_Extend", transport.transact(command(ST_SESSIONS, CC_PCR_EXTEND, b -> {
            b.putInt(pcr);
            b.putInt(9).putInt(RS_PW).putShort((short) 0).put((byte) 0).putShort((short) 0);
            int n = 0;
            for (Bank bank : digests.keySet()) if (banks.contains(bank)) n++;
            b.putInt(n);
            for (Map.Entry<Bank, byte[]> d : digests.entrySet()) {
                if (banks.contains(d.getKey())) b.putShort((short) d.getKey().algId).put(d.getValue());
            }
        })));
    }

    @Override
    public byte[] pcr(Bank bank, int pcr) {
        byte[] r = check("TPM2_PCR_Read", transport.transact(command(ST_NO_SESSIONS, CC_PCR_READ, b -> {
            b.putInt(1).putShort((short) bank.algId).put((byte) 3);
            byte[] sel = new byte[3];
            sel[pcr / 8] = (byte) (1 << (pcr % 8));
            b.put(sel);
        })));
        ByteBuffer in = ByteBuffer.wrap(r, 10, r.length - 10);
        in.getInt(); // pcrUpdateCounter
        int sels = in.getInt();
        for (int i = 0; i < sels; i++) {
            in.getShort();
            int n = in.get() & 0xff;
            in.position(in.position() + n);
        }
        int digests = in.getInt();
        if (digests != 1) throw new TpmException(transport.describe() + ": TPM2_PCR_Read of PCR " + pcr + " " + bank + " returned " + digests + " digests");
        byte[] d = new byte[in.getShort() & 0xffff];
        in.get(d);
        return d;
    }

    @Override
    public byte[] submit(byte[] command) {
        return transport.transact(command);
    }

    @Override
    public String describe() {
        List<String> names = banks.stream().map(b -> b.name().toLowerCase()).toList();
        return "TPM 2.0 at " + transport.describe() + " (banks " + String.join(", ", names) + ")";
    }

    @Override
    public void close() {
        transport.close();
    }

    interface Body {
        void put(ByteBuffer b);
    }

    static byte[] command(int tag, int cc, Body body) {
        ByteBuffer b = ByteBuffer.allocate(TpmTransport.MAX);
        b.putShort((short) tag).putInt(0).putInt(cc);
        body.put(b);
        int size = b.position();
        b.putInt(2, size);
        return java.util.Arrays.copyOf(b.array(), size);
    }

    static int rc(byte[] response) {
        if (response.length < 10) throw new TpmException("TPM response of " + response.length + " bytes");
        return ByteBuffer.wrap(response).getInt(6);
    }

    private byte[] check(String what, byte[] response) {
        int rc = rc(response);
        if (rc != 0) throw new TpmException(transport.describe() + ": " + what + " failed with TPM_RC 0x" + Integer.toHexString(rc));
        return response;
    }
}
