#!/usr/bin/env bash
# Issue 13, point 3: the Debian generic 6.1 kernel (its payload is XZ: the EFI stub decompresses
# 63 MiB in the guest before ExitBootServices) on the fast Unicorn engine, side by side with the
# same XZ payload decompressed by `xz -d` natively and by `xz -d` under QEMU's user-mode TCG
# (qemu-x86_64). Each is run N times (default 5), interleaved, and the medians are printed with
# ratios. efiemu runs twice per round: "before" keeps Unicorn's exit check after every guest
# memory access (EFIEMU_UNICORN_EXIT_CHECKS=keep: the engine as it was before issue 13), "after"
# drops it (the default; docs/architecture.md, "Engine set-up").
#
# Columns: wall = elapsed seconds (for efiemu: the "s emulation" of its summary, from the payload's
# first instruction to ExitBootServices); cpu = CPU seconds (efiemu: the emulating thread's, as its
# summary prints; xz: user + sys). On a shared machine compare the cpu column: the wall column
# also counts whatever else runs.
#
# Note the decompressors differ: the guest runs the kernel's own xz_dec (lib/xz, with the x86 BCJ
# filter and the CRC32 check), the host tools run liblzma, which is faster natively.
#
# Prerequisite for the QEMU column: Debian's qemu-user package (qemu-x86_64), which
# scripts/setup.sh does not install (nothing but this bench needs it): apt-get install qemu-user.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-5}"
fx="${EFIEMU_FIXTURES:-${EFIEMU_CACHE:-$HOME/.cache/efiemu}/fixtures}"
"$repo/efiemu" fixtures fetch >/dev/null
jar="$repo/cli/target/efiemu.jar"
kernel="$fx/x86_64/vmlinuz-generic"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# The bzImage's compressed payload (boot protocol: setup_sects at 0x1f1, payload_offset and
# payload_length at 0x248 and 0x24c, from the start of the protected-mode code), without the
# 4-byte decompressed size the kernel's build appends to it.
python3 - "$kernel" "$work/payload.xz" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
setup = (d[0x1f1] or 4) + 1
off, length = struct.unpack_from('<II', d, 0x248)
p = d[setup * 512 + off: setup * 512 + off + length - 4]
if p[:6] != b'\xfd7zXZ\x00':
    sys.exit(f"{sys.argv[1]}: the payload is not XZ (starts with {p[:6].hex()})")
open(sys.argv[2], 'wb').write(p)
EOF
xz -t "$work/payload.xz"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

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
for ((i = 0; i < n; i++)); do
  read -r w c < <(efiemu_run keep); wall[before]+="$w "; cpu[before]+="$c "
  read -r w c < <(efiemu_run drop); wall[after]+="$w "; cpu[after]+="$c "
  read -r w c < <(timed xz -T1 -dc "$work/payload.xz"); wall[native]+="$w "; cpu[native]+="$c "
  if [[ -n "$qemu" ]]; then
    read -r w c < <(timed "$qemu" "$(command -v xz)" -T1 -dc "$work/payload.xz"); wall[qemu]+="$w "; cpu[qemu]+="$c "
  fi
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
nc=$(med "${cpu[native]}")
qc=$([[ -n "$qemu" ]] && med "${cpu[qemu]}" || echo 0)
printf '%-44s %9s %9s %10s %10s\n' "generic 6.1 kernel, XZ payload" wall cpu "cpu/xz" "cpu/qemu"
row() { # label key
  local w c
  w=$(med "${wall[$2]}"); c=$(med "${cpu[$2]}")
  printf '%-44s %8ss %8ss %9sx %9s\n' "$1" "$w" "$c" "$(awk -v a="$c" -v b="$nc" 'BEGIN { printf "%.1f", a / b }')" \
    "$(awk -v a="$c" -v b="$qc" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
}
row "efiemu before (EXIT_CHECKS=keep), to EBS" before
row "efiemu after (default), to EBS" after
row "xz -d native" native
if [[ -n "$qemu" ]]; then
  row "xz -d under qemu-x86_64 (user-mode TCG)" qemu
else
  echo "xz -d under qemu-x86_64: not measured, qemu-x86_64 is missing (apt-get install qemu-user; a bench prerequisite only)"
fi
b=$(med "${cpu[before]}"); a=$(med "${cpu[after]}")
echo "after vs before: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx less CPU (%.0f%%)", b / a, 100 * (b - a) / b }')"
echo "(median of $n interleaved rounds; efiemu's figures include the stub's other work to ExitBootServices:"
echo " ELF parsing and the copy of the kernel into place, relocations, 53 service calls)"
