#!/usr/bin/env bash
# Time from start to the initrd's marker line for the same test UKI, N times (default 3):
#   (a) efiemu run --handoff + QEMU booting the hand-off ELF (SeaBIOS, PVH)
#   (b) QEMU + OVMF booting the UKI from a directory ESP (EFI/BOOT/BOOTX64.EFI)
# both TCG, q35, 1 GiB. Prints the medians and their ratio.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-3}"
marker="EFIEMU-INITRD-MARKER"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/esp/EFI/BOOT"
cp "$fx/built/uki.efi" "$work/esp/EFI/BOOT/BOOTX64.EFI"
qemu=(qemu-system-x86_64 -accel tcg -M q35 -m 1G -nographic -nodefaults -serial stdio -no-reboot)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Runs a command until the marker appears on its output; prints the seconds it took.
until_marker() {
  local t0 t1 log="$work/out.log"
  t0=$(now)
  ( "$@" > "$log" 2>&1 & echo $! > "$work/pid"; wait ) &
  while ! grep -aq "$marker" "$log" 2>/dev/null; do
    if ! kill -0 "$(cat "$work/pid" 2>/dev/null)" 2>/dev/null && ! grep -aq "$marker" "$log" 2>/dev/null; then
      sleep 0.2; grep -aq "$marker" "$log" && break
      echo "FAILED" ; return
    fi
    sleep 0.05
  done
  t1=$(now)
  kill "$(cat "$work/pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  elapsed "$t0" "$t1"
}

a=() b=()
for ((i = 0; i < n; i++)); do
  a+=("$(until_marker bash -c "java -jar '$jar' run '$fx/built/uki.efi' --seed 1 --handoff '$work/h.elf' >/dev/null && ${qemu[*]} -kernel '$work/h.elf'")")
  cp "$fx/ovmf/OVMF_VARS_4M.fd" "$work/vars.fd"
  b+=("$(until_marker "${qemu[@]}" -drive "if=pflash,format=raw,unit=0,readonly=on,file=$fx/ovmf/OVMF_CODE_4M.fd" \
        -drive "if=pflash,format=raw,unit=1,file=$work/vars.fd" -drive "file=fat:rw:$work/esp,format=raw")")
done
ma=$(printf '%s\n' "${a[@]}" | median); mb=$(printf '%s\n' "${b[@]}" | median)
echo "runs: efiemu+QEMU ${a[*]} | QEMU+OVMF ${b[*]}"
printf '%-34s %8ss\n' "(a) efiemu run + QEMU hand-off ELF" "$ma" "(b) QEMU + OVMF, directory ESP" "$mb"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "ratio (b)/(a): %.2f\n", b / a }'
