#!/usr/bin/env bash
# Engine micro-benchmarks, fast engine (Unicorn 2.1.4 from the set-up) against Debian's 2.0.1,
# side by side with their ratio. Targets (issue 2, x86_64 fast engine): byte copy >= 350 M instr/s,
# rep movsq >= 800 MB/s.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/efiemu" engine >/dev/null   # set-up + build, outside the timings
fast="$(mktemp)"; slow="$(mktemp)"; trap 'rm -f "$fast" "$slow"' EXIT
"$repo/efiemu" bench engine > "$fast"
EFIEMU_UNICORN_LIB=/usr/lib/x86_64-linux-gnu/libunicorn.so.2 "$repo/efiemu" bench engine 2>/dev/null > "$slow"
echo "fast: $(sed -n 's/^engine\t//p' "$fast")"
echo "slow: $(sed -n 's/^engine\t//p' "$slow")"
printf '%-8s %-30s %12s %12s %8s\n' arch metric fast "2.0.1" ratio
join -t $'\t' <(grep -v '^engine' "$fast" | awk -F'\t' '{print $1"|"$2"\t"$3}' | sort) \
              <(grep -v '^engine' "$slow" | awk -F'\t' '{print $1"|"$2"\t"$3}' | sort) |
  awk -F'\t' '{split($1,k,"|"); r=($2>0&&$3>0)? (k[2] ~ /us\)/ ? $3/$2 : $2/$3) : 0;
               printf "%-8s %-30s %12.1f %12.1f %7.1fx\n", k[1], k[2], $2, $3, r}'
echo "(ratio: how many times better the fast engine is; for the call cost, slow/fast)"
