#!/usr/bin/env bash
# Issue 13, point 3: the Debian generic 6.1 kernel (its payload is XZ: the EFI stub decompresses
# 63 MiB in the guest before ExitBootServices) on the fast Unicorn engine, side by side with the
# same XZ payload decompressed natively and under QEMU's user-mode TCG (qemu-x86_64), each by two
# decoders: `xz -d` (liblzma) and the kernel's own decoder (lib/xz of Debian's linux-source-6.1, the
# code the stub runs, built here with gcc -O2 in single-call mode as the stub uses it, with the x86
# BCJ filter and the CRC32 check). Each is run N times (default 5), interleaved, and the medians are
# printed with ratios. efiemu runs twice per round: "before" keeps Unicorn's exit check after every
# guest memory access (EFIEMU_UNICORN_EXIT_CHECKS=keep: the engine as it was before issue 13),
# "after" drops it (the default; docs/architecture.md, "Engine set-up").
#
# Columns: wall = elapsed seconds (for efiemu: the "s emulation" of its summary, from the payload's
# first instruction to ExitBootServices); cpu = CPU seconds (efiemu: the emulating thread's, as its
# summary prints; the decoders: user + sys). On a shared machine compare the cpu column: the wall
# column also counts whatever else runs. The fair comparison is with the kernel decoder's rows
# (same code); efiemu's figure also holds the stub's other work up to ExitBootServices (ELF
# parsing, the copy into place, relocations, 53 service calls: the LZ4 cloud kernel's whole run,
# about 0.3 s, bounds it).
#
# Prerequisite for the QEMU rows: Debian's qemu-user package (qemu-x86_64), which scripts/setup.sh
# does not install (nothing but this bench needs it): apt-get install qemu-user.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-5}"
kernel="$fx/x86_64/vmlinuz-generic"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# The bzImage's compressed payload (boot protocol: setup_sects at 0x1f1, payload_offset and
# payload_length at 0x248 and 0x24c, from the start of the protected-mode code), without the
# 4-byte decompressed size the kernel's build appends to it.
python3 - "$kernel" "$work/payload.xz" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
setup = (d[0x1f1] or 4) + 1
off, length = struct.unpack_from('<II', d, 0x248)
p = d[setup * 512 + off: setup * 512 + off + length - 4]
if p[:6] != b'\xfd7zXZ\x00':
    sys.exit(f"{sys.argv[1]}: the payload is not XZ (starts with {p[:6].hex()})")
open(sys.argv[2], 'wb').write(p)
PY
xz -t "$work/payload.xz"
outsize=$(xz --robot -lv "$work/payload.xz" | awk '$1 == "totals" { print $5 }')

# The kernel's own decoder, from the source package the set-up installs (linux-source-6.1).
tar -xf /usr/src/linux-source-6.1.tar.xz -C "$work" --strip-components=1 --wildcards \
  '*/lib/xz/*' '*/include/linux/xz.h'
cat > "$work/xz_config.h" <<'C'
/* What lib/xz/xz_private.h asks of a user-space build (decompress_unxz.c does the same for the stub). */
#define XZ_DEC_X86
#define XZ_DEC_SINGLE
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "xz.h"
#define kmalloc(size, flags) malloc(size)
#define kfree(ptr) free(ptr)
#define vmalloc(size) malloc(size)
#define vfree(ptr) free(ptr)
#define memeq(a, b, size) (memcmp(a, b, size) == 0)
#define memzero(buf, size) memset(buf, 0, size)
#define min(x, y) ((x) < (y) ? (x) : (y))
#define min_t(type, x, y) min(x, y)
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define fallthrough __attribute__((__fallthrough__))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
static inline uint32_t get_unaligned_le32(const uint8_t *b) { uint32_t v; memcpy(&v, b, 4); return v; }
static inline uint32_t get_unaligned_be32(const uint8_t *b) { return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }
static inline void put_unaligned_le32(uint32_t v, uint8_t *b) { memcpy(b, &v, 4); }
static inline void put_unaligned_be32(uint32_t v, uint8_t *b) { b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = v; }
#define get_le32(p) get_unaligned_le32((const uint8_t *)(p))
C
cat > "$work/kunxz.c" <<'C'
/* The payload through the kernel's XZ decoder in one call, into one buffer, as the EFI stub does. */
#include <stdio.h>
#include "xz_private.h"
#include "xz_crc32.c"
#include "xz_dec_stream.c"
#include "xz_dec_lzma2.c"
#include "xz_dec_bcj.c"
int main(int argc, char **argv) {
    FILE *f = argc == 3 ? fopen(argv[1], "rb") : NULL;
    if (!f) return 2;
    static unsigned char in[64 << 20];
    size_t n = fread(in, 1, sizeof in, f);
    size_t outsize = (size_t)atol(argv[2]);
    unsigned char *out = malloc(outsize);
    xz_crc32_init();
    struct xz_dec *s = xz_dec_init(XZ_SINGLE, 0);
    struct xz_buf b = { .in = in, .in_size = n, .out = out, .out_size = outsize };
    enum xz_ret r = xz_dec_run(s, &b);
    if (r != XZ_STREAM_END || b.out_pos != outsize) {
        fprintf(stderr, "kernel xz_dec: result %d after %zu bytes\n", r, b.out_pos);
        return 1;
    }
    return 0;
}
C
gcc -O2 -I"$work" -I"$work/lib/xz" -I"$work/include/linux" -o "$work/kunxz" "$work/kunxz.c"
"$work/kunxz" "$work/payload.xz" "$outsize"


efiemu_run() { # keep|drop -> "wall cpu"
  local out
  out=$(EFIEMU_UNICORN_EXIT_CHECKS="$1" java -jar "$jar" run "$kernel" --initrd "$fx/built/marker-initrd.cpio.gz" \
    --cmdline console=ttyS0 --engine unicorn --seed 1 --budget 600 2>&1) || true
  if ! grep -q "EXIT_BOOT_SERVICES" <<<"$out"; then
    echo "efiemu run failed (exit checks $1): $(grep -m1 '^outcome:' <<<"$out")" >&2; exit 1
  fi
  sed -n 's/^time: *\([0-9.]*\) s emulation (\([0-9.]*\) s CPU).*/\1 \2/p' <<<"$out"
}

timed() { # command... -> "wall cpu" (bash's time: real, user + sys)
  local t
  t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}

qemu=$(command -v qemu-x86_64 || true)
declare -A wall cpu
add() { wall[$1]+="$2 "; cpu[$1]+="$3 "; }
for ((i = 0; i < n; i++)); do
  add before $(efiemu_run keep)
  add after $(efiemu_run drop)
  add knative $(timed "$work/kunxz" "$work/payload.xz" "$outsize")
  add native $(timed xz -T1 -dc "$work/payload.xz")
  if [[ -n "$qemu" ]]; then
    add kqemu $(timed "$qemu" "$work/kunxz" "$work/payload.xz" "$outsize")
    add qemu $(timed "$qemu" "$(command -v xz)" -T1 -dc "$work/payload.xz")
  fi
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
nc=$(med "${cpu[knative]}")
qc=$([[ -n "$qemu" ]] && med "${cpu[kqemu]}" || echo 0)
printf '%-46s %9s %9s %11s %9s\n' "generic 6.1 kernel, XZ payload" wall cpu "cpu/native" "cpu/qemu"
row() { # label key
  local w c
  w=$(med "${wall[$2]}"); c=$(med "${cpu[$2]}")
  printf '%-46s %8ss %8ss %10sx %9s\n' "$1" "$w" "$c" "$(awk -v a="$c" -v b="$nc" 'BEGIN { printf "%.2f", a / b }')" \
    "$(awk -v a="$c" -v b="$qc" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
}
row "efiemu before (EXIT_CHECKS=keep), to EBS" before
row "efiemu after (default), to EBS" after
row "kernel xz_dec native" knative
row "xz -d (liblzma) native" native
if [[ -n "$qemu" ]]; then
  row "kernel xz_dec under qemu-x86_64 (TCG)" kqemu
  row "xz -d (liblzma) under qemu-x86_64 (TCG)" qemu
else
  echo "under qemu-x86_64: not measured, qemu-x86_64 is missing (apt-get install qemu-user; a bench prerequisite only)"
fi
b=$(med "${cpu[before]}"); a=$(med "${cpu[after]}")
echo "after vs before: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx less CPU (%.0f%%)", b / a, 100 * (b - a) / b }')"
echo "(median of $n interleaved rounds; cpu/native and cpu/qemu compare with the kernel decoder natively"
echo " and under qemu-x86_64)"
