package dev.efiemu.protocols.tpm;

import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** efiemu's own PCRs: 24 per bank, starting at zero; extend is PCR = H(PCR || digest). */
public final class VirtualTpm implements Tpm {
    private final List<Bank> banks;
    private final Map<Bank, byte[][]> pcrs = new LinkedHashMap<>();

    public VirtualTpm(List<Bank> banks) {
        this.banks = List.copyOf(banks);
        for (Bank b : banks) {
            byte[][] p = new byte[24][];
            for (int i = 0; i < 24; i++) p[i] = new byte[b.size];
            pcrs.put(b, p);
        }
    }

    @Override
    public List<Bank> banks() {
        return banks;
    }

    @Override
    public void extend(int pcr, Map<Bank, byte[]> digests) {
        for (Map.Entry<Bank, byte[]> d : digests.entrySet()) {
            byte[][] bank = pcrs.get(d.getKey());
            if (bank == null) continue;
            byte[] joined = Arrays.copyOf(bank[pcr], bank[pcr].length + d.getValue().length);
            System.arraycopy(d.getValue(), 0, joined, bank[pcr].length, d.getValue().length);
            bank[pcr] = d.getKey().hash(joined);
        }
    }

    @Override
    public byte[] pcr(Bank bank, int pcr) {
        return pcrs.get(bank)[pcr].clone();
    }

    @Override
    public byte[] submit(byte[] command) {
        throw new UnsupportedOperationException("the virtual TPM takes no TPM commands");
    }

    @Override
    public String describe() {
        return "virtual (efiemu's PCRs, " + banks.size() + " banks)";
    }
}
