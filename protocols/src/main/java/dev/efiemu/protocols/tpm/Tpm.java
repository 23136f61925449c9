package dev.efiemu.protocols.tpm;

import dev.efiemu.protocols.tpm.EventLog.Bank;
import java.util.List;
import java.util.Map;

/**
 * The TPM behind EFI_TCG2_PROTOCOL: efiemu's virtual PCRs ({@link VirtualTpm}), or a real TPM 2.0
 * reached through a resource-manager device or swtpm's command channel ({@link Tpm2Client}).
 */
public interface Tpm extends AutoCloseable {
    /** The active PCR banks, in the TPM's order. */
    List<Bank> banks();

    /** TPM2_PCR_Extend of {@code pcr} with one digest per active bank. */
    void extend(int pcr, Map<Bank, byte[]> digests);

    /** TPM2_PCR_Read of one PCR in one bank. */
    byte[] pcr(Bank bank, int pcr);

    /**
     * Passes a TPM 2.0 command through and returns the response (EFI_TCG2_PROTOCOL.SubmitCommand).
     *
     * @throws UnsupportedOperationException when there is no TPM to pass it to (virtual)
     */
    byte[] submit(byte[] command);

    /** One line: which TPM this is. */
    String describe();

    /**
     * True when no firmware has measured into this TPM (PCRs 0-7 all zero: efiemu's virtual TPM,
     * or a swtpm just started); efiemu then logs the firmware's own events as OVMF does.
     */
    default boolean fresh() {
        Bank b = banks().get(0);
        for (int i = 0; i < 8; i++) {
            for (byte x : pcr(b, i)) if (x != 0) return false;
        }
        return true;
    }

    @Override
    default void close() {}
}
