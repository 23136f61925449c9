#!/usr/bin/env bash
# Fuzzes every Jazzer target for MINUTES each (default 2) with Jazzer's command line (libFuzzer's
# engine), starting from the committed seeds and heads cut from the fixture cache's Debian payloads, and prints a table: target, executions, seconds,
# findings. A finding is a crash (an exception other than the parser's one-line FormatException),
# a timeout (-timeout, seconds per input) or running out of memory; its input is kept under
# target/fuzz/<target>/findings/ and the exit status is 1. Fuzzing never runs in CI: there the
# same targets run in regression mode over the seeds (mvn verify).
#
#   bench/fuzz.sh [MINUTES] [TARGET...]      e.g. bench/fuzz.sh 5 PeImageFuzzer GdbPacketFuzzer
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$repo"
minutes="${1:-2}"
shift || true
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')

# target class -> module
declare -A module=(
  [PeImageFuzzer]=loader [AuthenticodeFuzzer]=loader [BzImageFuzzer]=loader [Arm64ImageFuzzer]=loader
  [ZbootFuzzer]=loader [SignatureListFuzzer]=loader [VariableStoreFuzzer]=loader [GdbPacketFuzzer]=debugger
  [GptFuzzer]=loader [MbrFuzzer]=loader [ElToritoFuzzer]=loader [FatFuzzer]=loader
)
declare -A package=([loader]=dev.efiemu.loader.fuzz [debugger]=dev.efiemu.debugger.gdb)
targets=("$@")
((${#targets[@]})) || targets=(PeImageFuzzer AuthenticodeFuzzer BzImageFuzzer Arm64ImageFuzzer ZbootFuzzer
                                 SignatureListFuzzer VariableStoreFuzzer GdbPacketFuzzer GptFuzzer MbrFuzzer ElToritoFuzzer FatFuzzer)

echo "building the test classes and their classpath..." >&2
# One reactor build: sibling modules resolve to their target/classes (nothing is installed into ~/.m2).
mvn -B -q -o -Dstyle.color=never -pl loader,debugger -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz.classpath >&2
declare -A cp
for m in loader debugger; do
  cp[$m]="$repo/$m/target/test-classes:$repo/$m/target/classes:$(cat "$repo/$m/target/fuzz.classpath")"
done

status=0
printf '%-22s %12s %8s %9s\n' target executions seconds findings
for t in "${targets[@]}"; do
  m="${module[$t]:-}"
  if [[ -z "$m" ]]; then echo "unknown target $t (one of: ${!module[*]})" >&2; exit 2; fi
  pkg="${package[$m]}"
  work="$repo/$m/target/fuzz/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/findings" "$work/seeds"
  seeds="$work/seeds"
  # committed seeds (built from the repository's C apps and disk tools) ...
  for d in "$repo/$m/src/test/resources/${pkg//.//}/${t}Inputs/"*/; do [[ -d "$d" ]] && cp "$d"* "$seeds/"; done
  # ... and seeds cut from Debian's payloads in the fixture cache, never committed (FuzzSeedsTest checks them)
  case "$t" in
    BzImageFuzzer) head -c 16384 "$fx/x86_64/vmlinuz-cloud" >"$seeds/vmlinuz-head" ;;
    Arm64ImageFuzzer) head -c 4096 "$fx/aarch64/Image" >"$seeds/Image-head" ;;
    VariableStoreFuzzer) cp "$fx/ovmf/OVMF_VARS_4M.snakeoil.fd" "$seeds/snakeoil-vars" ;;
  esac
  log="$work/jazzer.log"
  # -fork would spread over cores; this machine has two and the build shares them: one process.
  (cd "$work" && java -Xmx2g -cp "${cp[$m]}" com.code_intelligence.jazzer.Jazzer \
      --target_class="$pkg.$t" --instrumentation_includes='dev.efiemu.**' \
      --keep_going=1000 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 \
      -artifact_prefix="$work/findings/" "$work/corpus" "$seeds" >"$log" 2>&1) || true
  execs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  if [[ -z "$execs" ]]; then # stopped on a finding: the last status line has the count
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  fi
  took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || echo "-")
  findings=$(find "$work/findings" -type f | wc -l)
  printf '%-22s %12s %8s %9s\n' "$t" "${execs:-?}" "$took" "$findings"
  if ((findings)); then
    status=1
    find "$work/findings" -type f | sed 's/^/    /'
    grep -m3 -E '^== Java Exception|^Caused by|Exception:' "$log" | sed 's/^/    /' || true
  fi
done
exit $status
