package dev.efiemu.engine.unicorn;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.efiemu.cpu.Arch;
import dev.efiemu.cpu.CpuException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off the exit-request check Unicorn 2.1.4 emits after every guest load and store, the one
 * internal of Unicorn efiemu touches. Measured with {@code perf} on the Debian generic 6.1 kernel
 * (XZ decompression in the EFI stub, {@code bench/kernel-ebs.sh}): the check is a call to
 * {@code helper_check_exit_request} after each memory access; the call is declared without
 * {@code TCG_CALL_NO_*} flags, so TCG also spills and reloads the guest registers it holds in host
 * registers around every access. It took a fifth of the samples during the decompression;
 * without it the run to ExitBootServices takes about 35-40% less CPU ({@code bench/xz-tcg.sh}).
 *
 * <p>The facts, from Unicorn 2.1.4's source:
 * <ul>
 *   <li>{@code qemu/tcg/tcg-op.c}: {@code tcg_gen_qemu_ld_i32/_i64} and {@code tcg_gen_qemu_st_i32/_i64}
 *       end with {@code check_exit_request(tcg_ctx)}, which emits nothing when
 *       {@code tcg_ctx->uc->no_exit_request} is set (the flag exists for ARM IT blocks:
 *       {@code qemu/target/arm/translate.c}, the only writer, never reached for x86_64 or aarch64).</li>
 *   <li>The same call follows a {@code UC_HOOK_CODE} call-out ({@code qemu/target/i386/translate.c}
 *       {@code disas_insn}, {@code qemu/target/arm/translate-a64.c}): without it, a stop requested by a
 *       code hook takes effect only at the next block. So {@link UnicornCpu} turns the checks off only
 *       while no code hook, memory hook or instruction count is in place, and traps service stubs by
 *       execute protection ({@link UnicornCpu#onEntry}).</li>
 *   <li>{@code qemu/include/exec/gen-icount.h} {@code gen_tb_start} calls the helper at the start of
 *       every translation block regardless of the flag: {@code uc_emu_stop} from another thread (the
 *       {@code --budget} watchdog) still stops the guest within one block.</li>
 * </ul>
 *
 * <p>There is no API for the flag ({@code uc_ctl} has none), so its offset in {@code struct uc_struct}
 * ({@code include/uc_priv.h}) is read from the library's own code: {@code check_exit_request_x86_64}
 * and {@code check_exit_request_aarch64} (exported) begin with {@code mov rsi,[rdi+tcg_ctx.uc];
 * cmp byte [rsi+no_exit_request],0; je ...; ret}. The flag is written only when the loaded library's
 * sha256 is the one pinned in {@code scripts/unicorn.sha256} and those bytes are exactly the ones
 * below; a pinned library whose code differs is an error, loudly, and any other library (an explicit
 * {@code EFIEMU_UNICORN_LIB}) keeps the checks, with a warning.
 */
final class ExitChecks {
    private static final Logger log = LoggerFactory.getLogger(ExitChecks.class);

    /** {@code uc_struct.no_exit_request} in the pinned build. */
    static final int NO_EXIT_REQUEST = 0x7f2;

    // 48 8b b7 <tcg_ctx.uc>  mov rsi,[rdi+X] ; 80 be f2 07 00 00 00  cmp byte [rsi+0x7f2],0 ; 74 08 je ; c3 ret
    private static final byte[] X86_64 = HexFormat.of().parseHex("488bb77099000080bef20700000074" + "08c3");
    private static final byte[] AARCH64 = HexFormat.of().parseHex("488bb770a9000080bef20700000074" + "08c3");

    /** {@code -Defiemu.unicorn.exitChecks=keep} or this variable set to {@code keep}: the checks stay (bench/kernel-ebs.sh's "before"). */
    static final String PROPERTY = "efiemu.unicorn.exitChecks";
    static final String ENV = "EFIEMU_UNICORN_EXIT_CHECKS";

    private static Boolean usable;

    private ExitChecks() {}

    /**
     * Whether the flag may be written for {@code arch}: the library is the pinned one and its code
     * matches. Decided once per JVM and architecture (the answer cannot change).
     *
     * @throws CpuException when the pinned library's code is not what efiemu was built against
     */
    static synchronized boolean usable(Arch arch) {
        if (usable != null) return usable;
        String choice = System.getProperty(PROPERTY, System.getenv(ENV));
        if ("keep".equals(choice)) {
            log.info("engine: exit checks after every memory access kept ({}=keep)", ENV);
            usable = false;
            return false;
        }
        if (choice != null && !choice.isBlank() && !"drop".equals(choice)) {
            throw new CpuException(ENV + "=" + choice + ": expected keep or drop");
        }
        if (!UnicornLibrary.isPinned()) {
            log.warn("engine: {} is not the pinned Unicorn {} build (scripts/unicorn.sha256): its exit check after"
                    + " every memory access stays on, and decompressing kernels is about twice as slow",
                    UnicornLibrary.load().location(), UnicornLibrary.FAST_VERSION);
            usable = false;
            return false;
        }
        verify(UnicornLibrary.nativeLibrary(), "check_exit_request_x86_64", X86_64);
        verify(UnicornLibrary.nativeLibrary(), "check_exit_request_aarch64", AARCH64);
        usable = true;
        return true;
    }

    static void verify(NativeLibrary lib, String symbol, byte[] expected) {
        Function f;
        try {
            f = lib.getFunction(symbol);
        } catch (UnsatisfiedLinkError e) {
            throw new CpuException("unicorn: the pinned library has no " + symbol + "; efiemu's ExitChecks do not match it");
        }
        byte[] actual = f.getByteArray(0, expected.length);
        check(symbol, expected, actual);
    }

    /** Pure comparison, so a test can prove the message. */
    static void check(String symbol, byte[] expected, byte[] actual) {
        if (!java.util.Arrays.equals(expected, actual)) {
            throw new CpuException("unicorn: " + symbol + " begins with " + HexFormat.of().formatHex(actual)
                    + ", not " + HexFormat.of().formatHex(expected) + " (uc_struct.no_exit_request at 0x"
                    + Integer.toHexString(NO_EXIT_REQUEST) + "): efiemu's ExitChecks do not match the pinned library");
        }
    }

    /** Sets or clears {@code uc->no_exit_request}; translations made before keep what they had. */
    static void set(Pointer uc, boolean noExitRequest) {
        uc.setByte(NO_EXIT_REQUEST, (byte) (noExitRequest ? 1 : 0));
    }

    static boolean get(Pointer uc) {
        return uc.getByte(NO_EXIT_REQUEST) != 0;
    }
}
