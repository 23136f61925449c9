#!/usr/bin/env bash
# The two engines side by side where KVM works here: inside the kexec lab's TCG guest (-cpu max,+svm,
# the kvm and kvm-amd modules of the lab kernel loaded, as KexecLabIT's KVM scenario does), the XZ
# generic 6.1 kernel runs to ExitBootServices N times (default 3) on --engine kvm and on --engine
# unicorn, interleaved; prints the medians and their ratio.
#
# Not a speed figure for a real host: under TCG the KVM engine's guest code is still emulated once
# (by the outer QEMU), Unicorn's twice (Unicorn inside the outer QEMU). What it shows is that the
# KVM engine runs the heaviest payload to the same outcome and takes one emulation layer off; on
# real hardware its guest code runs natively (the kernel's XZ decoder: see bench/xz-tcg.sh).
# Uses the lab (one QEMU guest, a few minutes); never run two labs at once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-3}"
out=$("$repo/efiemu" lab --cpu max,+svm --append "quiet maxcpus=1 softlockup_panic=1" --timeout $((120 + n * 240)) \
  --file "/k=$fx/x86_64/vmlinuz-generic" --file "/i=$fx/built/marker-initrd.cpio.gz" -- "
  for m in irqbypass kvm kvm-amd; do insmod /lib/modules/\$m.ko || echo \"insmod \$m failed\"; done
  for i in \$(seq $n); do for e in kvm unicorn; do
    timeout 400 efiemu run /k --initrd /i --cmdline 'console=ttyS0 nokaslr' --seed 1 --engine \$e --budget 600 2>&1 |
      sed -n \"s/^time: *\\([0-9.]*\\) s emulation (\\([0-9.]*\\) s CPU).*/ENGINE \$e \\1 \\2/p\"
  done; done" 2>&1) || true
for e in kvm unicorn; do
  c=$(grep -c "^ENGINE $e " <<<"$out" || true)
  if [ "$c" -ne "$n" ]; then echo "engine $e: $c of $n runs reached ExitBootServices; the lab said:" >&2; tail -30 <<<"$out" >&2; exit 1; fi
done
med() { grep "^ENGINE $1 " <<<"$out" | awk -v f="$2" '{ print $f }' | median; }
kw=$(med kvm 3); kc=$(med kvm 4); uw=$(med unicorn 3); uc=$(med unicorn 4)
printf '%-52s %10s %10s\n' "generic 6.1 kernel to EBS, inside the lab's TCG guest" emulation cpu
printf '%-52s %9ss %9ss\n' "--engine kvm (nested in TCG)" "$kw" "$kc" "--engine unicorn (Unicorn inside TCG)" "$uw" "$uc"
echo "unicorn / kvm: $(awk -v a="$uw" -v b="$kw" 'BEGIN { printf "%.1fx", a / b }') (median of $n interleaved runs; nested KVM under TCG is no speed figure for a real host)"
