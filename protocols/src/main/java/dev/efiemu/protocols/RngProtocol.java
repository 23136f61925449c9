package dev.efiemu.protocols;

import dev.efiemu.core.ProtocolHost;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.trap.Call;
import dev.efiemu.core.trap.FunctionSpec;
import dev.efiemu.loader.Guid;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;

/**
 * EFI_RNG_PROTOCOL (UEFI spec §37.5) offering the raw algorithm: the host's SecureRandom, or with
 * a seed a deterministic generator, so that the Linux stub's KASLR placement is reproducible
 * instead of coming from RDTSC (host time on engines that cannot hook it, such as Unicorn 2.0.1).
 */
public final class RngProtocol {
    public static final Guid GUID = Guids.define("3152bca5-eade-433d-862e-c01cdc291f44", "Rng");
    public static final Guid ALGORITHM_RAW = Guids.define("e43176d7-b6e8-4827-b784-7ffdc4b68561", "RngAlgorithmRaw");

    private final Random random;

    public RngProtocol(ProtocolHost host, Long seed) {
        this.random = seed != null ? new SeededStream(seed) : new SecureRandom();
        long iface = host.newInterface("Rng", List.of(
                new FunctionSpec("GetInfo", this::getInfo, "This", "RNGAlgorithmListSize", "RNGAlgorithmList"),
                new FunctionSpec("GetRNG", this::getRng, "This", "RNGAlgorithm", "RNGValueLength=", "RNGValue")), 0);
        host.installProtocol(null, GUID, iface);
    }

    /**
     * SHA-256 in counter mode over the seed: reproducible, and unlike java.util.Random(seed) nearby
     * seeds give unrelated streams (the LCG's first outputs for seeds 42 and 43 differ only in low
     * bits, which left the stub's KASLR slot unchanged).
     */
    static final class SeededStream extends Random {
        private final byte[] seedBytes;
        private long counter;
        private byte[] block = new byte[0];
        private int used;

        SeededStream(long seed) {
            this.seedBytes = java.nio.ByteBuffer.allocate(8).putLong(seed).array();
        }

        @Override
        public void nextBytes(byte[] out) {
            for (int i = 0; i < out.length; i++) {
                if (used == block.length) refill();
                out[i] = block[used++];
            }
        }

        @Override
        protected int next(int bits) {
            byte[] b = new byte[4];
            nextBytes(b);
            return java.nio.ByteBuffer.wrap(b).getInt() >>> (32 - bits);
        }

        private void refill() {
            try {
                var sha = java.security.MessageDigest.getInstance("SHA-256");
                sha.update(seedBytes);
                sha.update(java.nio.ByteBuffer.allocate(8).putLong(counter++).array());
                block = sha.digest();
                used = 0;
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    long getInfo(Call c) {
        long sizePtr = c.arg(1), list = c.arg(2);
        if (sizePtr == 0) return Status.INVALID_PARAMETER;
        long have = c.memory().u64(sizePtr);
        c.memory().u64(sizePtr, 16);
        if (have < 16 || list == 0) return Status.BUFFER_TOO_SMALL;
        c.memory().guid(list, ALGORITHM_RAW);
        return Status.SUCCESS;
    }

    long getRng(Call c) {
        long alg = c.arg(1), size = c.arg(2), buffer = c.arg(3);
        if (size == 0 || buffer == 0 || Long.compareUnsigned(size, 1 << 20) > 0) return Status.INVALID_PARAMETER;
        if (alg != 0 && !c.memory().guid(alg).equals(ALGORITHM_RAW)) return c.unsupported(Guids.name(c.memory().guid(alg)));
        byte[] b = new byte[(int) size];
        random.nextBytes(b);
        c.memory().write(buffer, b);
        c.note(size + " bytes");
        return Status.SUCCESS;
    }
}
