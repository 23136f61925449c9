package dev.efiemu.engine.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * JNA direct mapping of the Unicorn 2 C API (include/unicorn/unicorn.h). Hot calls are direct
 * native methods; the two variadic ones (uc_hook_add, uc_ctl) go through {@link Function}.
 * Registered once per JVM against the library {@link UnicornLibrary} chose.
 */
final class Uc {
    private static Function hookAdd;
    private static Function ctl;

    private Uc() {}

    static synchronized void bind(NativeLibrary lib) {
        if (hookAdd != null) return;
        Native.register(Uc.class, lib);
        hookAdd = lib.getFunction("uc_hook_add");
        ctl = lib.getFunction("uc_ctl");
    }

    // uc_err values (unicorn.h, enum uc_err)
    static final int ERR_OK = 0;
    static final int ERR_READ_UNMAPPED = 6;
    static final int ERR_WRITE_UNMAPPED = 7;
    static final int ERR_FETCH_UNMAPPED = 8;
    static final int ERR_INSN_INVALID = 10;
    static final int ERR_WRITE_PROT = 12;
    static final int ERR_READ_PROT = 13;
    static final int ERR_FETCH_PROT = 14;
    static final int ERR_READ_UNALIGNED = 16;
    static final int ERR_FETCH_UNALIGNED = 18;

    static final int ARCH_ARM64 = 2;
    static final int ARCH_X86 = 4;
    static final int MODE_ARM = 0;
    static final int MODE_64 = 8;

    // uc_hook_type
    static final int HOOK_INTR = 1;
    static final int HOOK_INSN = 1 << 1;
    static final int HOOK_CODE = 1 << 2;
    static final int HOOK_MEM_READ_UNMAPPED = 1 << 4;
    static final int HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
    static final int HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
    static final int HOOK_MEM_READ = 1 << 10;
    static final int HOOK_MEM_WRITE = 1 << 11;
    static final int HOOK_INSN_INVALID = 1 << 14;
    static final int HOOK_TLB_FILL = 1 << 17;

    // uc_mem_type
    static final int MEM_WRITE = 17;
    static final int MEM_FETCH = 18;

    // x86 instruction ids for UC_HOOK_INSN (x86.h, enum uc_x86_insn)
    static final int X86_INS_CPUID = 113;
    static final int X86_INS_IN = 218;
    static final int X86_INS_OUT = 500;
    static final int X86_INS_RDTSC = 608;
    static final int X86_INS_RDTSCP = 609;

    // uc_ctl: UC_CTL(type, nr, rw) = type | nr << 26 | rw << 30
    static final int CTL_IO_WRITE = 1;
    static final int CTL_CPU_MODEL = 7;
    static final int CTL_TB_FLUSH = 10;
    static final int CTL_TLB_FLUSH = 11;
    static final int CTL_TLB_TYPE = 12;
    static final int TLB_VIRTUAL = 1;

    static int ctlWrite(int type, int nargs) {
        return type | (nargs << 26) | (CTL_IO_WRITE << 30);
    }

    static native int uc_open(int arch, int mode, PointerByReference uc);

    static native int uc_close(Pointer uc);

    static native int uc_version(Pointer major, Pointer minor);

    static native String uc_strerror(int code);

    static native int uc_reg_write(Pointer uc, int regid, Pointer value);

    static native int uc_reg_read(Pointer uc, int regid, Pointer value);

    static native int uc_mem_write(Pointer uc, long address, byte[] bytes, long size);

    static native int uc_mem_read(Pointer uc, long address, byte[] bytes, long size);

    static native int uc_mem_map(Pointer uc, long address, long size, int perms);

    static native int uc_mem_unmap(Pointer uc, long address, long size);

    static native int uc_mem_protect(Pointer uc, long address, long size, int perms);

    static native int uc_emu_start(Pointer uc, long begin, long until, long timeout, long count);

    static native int uc_emu_stop(Pointer uc);

    static native int uc_hook_del(Pointer uc, long hook);

    static int hookAdd(Pointer uc, LongByReference hh, int type, Callback cb, long begin, long end, Object... extra) {
        Object[] args = new Object[7 + extra.length];
        args[0] = uc;
        args[1] = hh;
        args[2] = type;
        args[3] = cb;
        args[4] = null;
        args[5] = begin;
        args[6] = end;
        System.arraycopy(extra, 0, args, 7, extra.length);
        return hookAdd.invokeInt(args);
    }

    static int ctl(Pointer uc, int control, Object... args) {
        Object[] all = new Object[2 + args.length];
        all[0] = uc;
        all[1] = control;
        System.arraycopy(args, 0, all, 2, args.length);
        return ctl.invokeInt(all);
    }

    // ---- callback shapes (unicorn.h typedefs) ----

    interface CodeCb extends Callback {
        void callback(Pointer uc, long address, int size, Pointer user);
    }

    interface IntrCb extends Callback {
        void callback(Pointer uc, int intno, Pointer user);
    }

    interface InsnInvalidCb extends Callback {
        boolean callback(Pointer uc, Pointer user);
    }

    interface CpuidCb extends Callback {
        int callback(Pointer uc, Pointer user);
    }

    interface InCb extends Callback {
        int callback(Pointer uc, int port, int size, Pointer user);
    }

    interface OutCb extends Callback {
        void callback(Pointer uc, int port, int size, int value, Pointer user);
    }

    interface MemCb extends Callback {
        boolean callback(Pointer uc, int type, long address, int size, long value, Pointer user);
    }

    interface TlbFillCb extends Callback {
        boolean callback(Pointer uc, long vaddr, int type, Pointer entry, Pointer user);
    }
}
