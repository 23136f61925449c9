#!/usr/bin/env bash
# The arm64 hand-off end to end, N times each (default 3): efiemu runs the payload to
# ExitBootServices on QEMU virt's machine (its own device tree, -M virt,dumpdtb), writes the
# hand-off ELF, and qemu-system-aarch64 (TCG, -cpu max, 1 GiB) boots it to the initrd's marker.
# Prints the median time of each part: efiemu (whole process), QEMU to the marker.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-3}"
marker="EFIEMU-INITRD-MARKER"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
qemu=(qemu-system-aarch64 -accel tcg -M virt -cpu max -m 1G -nographic -nodefaults)
"${qemu[@]/virt/virt,dumpdtb=$work/virt.dtb}" >/dev/null 2>&1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

a64=(--initrd "$fx/built/marker-initrd-aarch64.cpio.gz" --cmdline "console=ttyAMA0 panic=-1")
printf '%-18s %10s %12s %10s\n' payload "efiemu" "QEMU→marker" "ELF MiB"
for p in arm64-image zboot-6.1-gzip zboot-6.1-zstd zboot-6.12-gzip zboot-6.12-zstd uki-aa64 uki-aa64-zboot; do
  case $p in
    arm64-image) args=("$fx/aarch64/Image" "${a64[@]}") ;;
    zboot-*) args=("$fx/built/$p.efi" "${a64[@]}") ;;
    uki-aa64*) args=("$fx/built/$p.efi") ;;
  esac
  es=() qs=()
  for ((i = 0; i < n; i++)); do
    t0=$(now)
    java -jar "$jar" run "${args[@]}" --dtb "$work/virt.dtb" --seed 1 --handoff "$work/h.elf" >"$work/run.log" 2>&1 \
      || { echo "$p: efiemu failed: $(grep -m1 '^outcome:' "$work/run.log")" >&2; continue 2; }
    t1=$(now)
    timeout 300 "${qemu[@]}" -serial stdio -no-reboot -kernel "$work/h.elf" >"$work/qemu.log" 2>&1 || true
    t2=$(now)
    grep -aq "$marker" "$work/qemu.log" || { echo "$p: no marker from QEMU" >&2; continue 2; }
    es+=("$(elapsed "$t0" "$t1")"); qs+=("$(elapsed "$t1" "$t2")")
  done
  printf '%-18s %9ss %11ss %10s\n' "$p" "$(printf '%s\n' "${es[@]}" | median)" "$(printf '%s\n' "${qs[@]}" | median)" \
    "$(( $(stat -c %s "$work/h.elf") >> 20 ))"
done
echo "(median of $n runs; QEMU until it powers off after the marker)"
