#!/usr/bin/env bash
# Runs each real payload to ExitBootServices N times (default 5) with the fast engine and with
# Debian's Unicorn 2.0.1, and prints the median wall time (whole efiemu process, JVM included)
# and the median emulation time, side by side. Target (issue 7): the 6.1 cloud kernel under 1.5 s
# of emulation with the fast engine. The arm64 rows (issue 14): Debian's arm64 Image, the real zboot
# kernels built from linux-source-6.1 and -6.12 (gzip, zstd: the kernel's own decompressor runs in
# the guest) and the arm64 UKIs. Where /dev/kvm works, the x86_64 rows run once more on the KVM
# engine (issue 13) and a KVM column compares it with the fast Unicorn engine; KVM nested inside a
# TCG guest (the kexec lab's) is no speed figure, and the script says so when it sees a hypervisor.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-5}"
slowlib=/usr/lib/x86_64-linux-gnu/libunicorn.so.2


measure() { # engine-lib payload args... (engine-lib "kvm": the KVM engine)
  local lib="$1"; shift
  local engine=unicorn
  if [ "$lib" = kvm ]; then engine=kvm; lib="${EFIEMU_FAST_LIB:-$HOME/.cache/efiemu/unicorn/2.1.4/libunicorn.so.2}"; fi
  local walls=() emus=()
  for ((i = 0; i < n; i++)); do
    local t0 t1 out
    t0=$(date +%s.%N)
    out=$(EFIEMU_UNICORN_LIB="$lib" java -jar "$jar" run "$@" --engine "$engine" --seed 1 --budget 600 2>&1) || true
    t1=$(date +%s.%N)
    if ! grep -q "EXIT_BOOT_SERVICES" <<<"$out"; then
      echo "run failed ($lib $*): $(grep -m1 '^outcome:' <<<"$out")" >&2
      echo "FAILED FAILED"; return
    fi
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    emus+=("$(sed -n 's/^time: *\([0-9.]*\) s emulation.*/\1/p' <<<"$out")")
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${emus[@]}" | median)"
}

printf '%-22s %12s %12s %12s %12s %8s\n' payload "fast wall" "fast emu" "2.0.1 wall" "2.0.1 emu" "emu x"
a64=(--initrd "$fx/built/marker-initrd-aarch64.cpio.gz" --cmdline console=ttyAMA0)
for p in cloud generic uki arm64-image zboot-6.1-gzip zboot-6.1-zstd zboot-6.12-gzip zboot-6.12-zstd uki-aa64 uki-aa64-zboot; do
  case $p in
    cloud) args=("$fx/x86_64/vmlinuz-cloud" --initrd "$fx/built/marker-initrd.cpio.gz" --cmdline console=ttyS0) ;;
    generic) args=("$fx/x86_64/vmlinuz-generic" --initrd "$fx/built/marker-initrd.cpio.gz" --cmdline console=ttyS0) ;;
    uki) args=("$fx/built/uki.efi") ;;
    arm64-image) args=("$fx/aarch64/Image" "${a64[@]}") ;;
    zboot-*) args=("$fx/built/$p.efi" "${a64[@]}") ;;
    uki-aa64*) args=("$fx/built/$p.efi") ;;
  esac
  read -r fw fe < <(measure "${EFIEMU_FAST_LIB:-$HOME/.cache/efiemu/unicorn/2.1.4/libunicorn.so.2}" "${args[@]}")
  read -r sw se < <(measure "$slowlib" "${args[@]}")
  ratio=$(awk -v a="$se" -v b="$fe" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
  printf '%-22s %11ss %11ss %11ss %11ss %7sx\n' "$p" "$fw" "$fe" "$sw" "$se" "$ratio"
done
echo "(median of $n runs; wall = the whole 'java -jar efiemu.jar run' process)"

# The KVM engine (x86_64 only), where /dev/kvm opens and a KVM_RUN round trip works.
if java -jar "$jar" engine --engine kvm 2>/dev/null | grep -q '^kvm '; then
  echo
  printf '%-22s %12s %12s %12s %8s\n' payload "kvm wall" "kvm emu" "fast emu" "emu x"
  for p in cloud generic uki; do
    case $p in
      cloud) args=("$fx/x86_64/vmlinuz-cloud" --initrd "$fx/built/marker-initrd.cpio.gz" --cmdline console=ttyS0) ;;
      generic) args=("$fx/x86_64/vmlinuz-generic" --initrd "$fx/built/marker-initrd.cpio.gz" --cmdline console=ttyS0) ;;
      uki) args=("$fx/built/uki.efi") ;;
    esac
    read -r kw ke < <(measure kvm "${args[@]}")
    read -r fw fe < <(measure "${EFIEMU_FAST_LIB:-$HOME/.cache/efiemu/unicorn/2.1.4/libunicorn.so.2}" "${args[@]}")
    ratio=$(awk -v a="$fe" -v b="$ke" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
    printf '%-22s %11ss %11ss %11ss %7sx\n' "$p" "$kw" "$ke" "$fe" "$ratio"
  done
  if grep -qw hypervisor /proc/cpuinfo; then
    echo "NOTE: this host is itself a virtual machine: KVM here is nested virtualization. Nested KVM inside a"
    echo "      TCG guest (the kexec lab's) is no speed figure at all; only bare metal (or hardware-assisted"
    echo "      nested virtualization) gives a KVM figure worth comparing."
  fi
else
  echo "KVM column: none ($(java -jar "$jar" engine --engine kvm 2>&1 | head -1))"
fi

# Issue 13, point 3: the generic kernel's XZ decompression before/after the exit-check change,
# beside xz -d natively and under QEMU's user-mode TCG.
echo
"$repo/bench/xz-tcg.sh" "$n"
