#!/usr/bin/env bash
# Mutation testing with PIT (pitest-maven 1.30.2, pitest-junit5-plugin 1.2.3) over loader,
# emulator-core and protocols: PIT changes the compiled code one small fault at a time (a negated
# condition, a changed boundary, a removed call, a constant return) and runs the tests that cover
# it; a mutant no test fails on "survives". Prints the mutation score per module and per package
# and where each surviving mutant is. Slow, so never in CI: the Maven profile `mutation` (root
# pom.xml) holds the set-up, and a normal build does not load PIT.
#
#   bench/mutation.sh            the packages that matter most (key_classes below)
#   bench/mutation.sh --all      every class of the three modules
#   bench/mutation.sh --report   print the figures of the last runs again
#
# Reruns: PIT 1.30's own incremental analysis (withHistory) is no longer in pitest-maven (it moved
# to a separate plugin that is not on Maven Central), so this script reuses results per module
# instead: a module whose compiled classes, test classes, test sources and those of the modules
# below it are unchanged since its last run with the same classes to mutate is not run again.
# Results live in ~/.cache/efiemu/pit/ (<module>.fingerprint, <module>-mutations.xml);
# PIT_FRESH=1 forgets them.
#
# Environment: PIT_THREADS (default 1: the machine is shared), PIT_CLASSES='a.b.C*,a.d.*' to
# mutate only those classes, PIT_MODULES='emulator-core protocols' to run only those modules,
# PIT_CACHE (default ~/.cache/efiemu/pit), MVN_OPTS_EXTRA (e.g. -o) for Maven. HTML reports:
# <module>/target/pit-reports/index.html. Tests that start QEMU, and MutatedHeadersTest (slow, asserts only clean failures), are left out (the profile's
# excludedTestClasses); the fixtures must be fetched (./efiemu fixtures), as for the tests.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
modules=(loader emulator-core protocols)
# what each module's results depend on besides itself (reactor modules below it)
declare -A below=(
  [loader]="fixtures"
  [emulator-core]="cpu-api engine-unicorn fixtures loader"
  [protocols]="cpu-api engine-unicorn fixtures loader emulator-core"
)
cache="${PIT_CACHE:-$HOME/.cache/efiemu/pit}"

# The code that matters most: memory map, image loading, measurement, Authenticode, the ESP
# sandbox, the hand-off. One list for the three modules: PIT mutates only a module's own classes.
key_classes=(
  'dev.efiemu.loader.pe.*' 'dev.efiemu.loader.auth.*'
  'dev.efiemu.core.memory.*' 'dev.efiemu.core.image.*' 'dev.efiemu.core.handoff.*'
  'dev.efiemu.core.boot.ImageServices*' 'dev.efiemu.core.boot.MemoryServices*'
  'dev.efiemu.protocols.fs.EspSandbox*' 'dev.efiemu.protocols.InitrdLoadFile2*'
  'dev.efiemu.protocols.Tcg2Protocol*' 'dev.efiemu.protocols.FirmwareMeasurements*'
  'dev.efiemu.protocols.tpm.EventLog*' 'dev.efiemu.protocols.tpm.TcgLogParser*'
)
all_classes=('dev.efiemu.loader.*' 'dev.efiemu.core.*' 'dev.efiemu.protocols.*')

mode=key
case "${1:-}" in
  --all) mode=all ;;
  --report) mode=report ;;
  "") ;;
  *) echo "usage: bench/mutation.sh [--all|--report]" >&2; exit 2 ;;
esac

fingerprint() { # module targets
  local m="$1" dirs=()
  for d in ${below[$m]} "$m"; do dirs+=("$d/target/classes"); done
  dirs+=("$m/target/test-classes" "$m/src/test")
  { echo "pitest-maven 1.30.2 pitest-junit5-plugin 1.2.3 targets=$2"
    sha256sum "$repo/pom.xml" "$m/pom.xml" | cut -c1-64
    find "${dirs[@]}" -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
  } | sha256sum | cut -c1-64
}

if [[ "$mode" != report ]]; then
  if [[ "$mode" == all ]]; then classes=("${all_classes[@]}"); else classes=("${key_classes[@]}"); fi
  targets="${PIT_CLASSES:-$(IFS=,; echo "${classes[*]}")}"
  mkdir -p "$cache" target
  [[ "${PIT_FRESH:-0}" == 1 ]] && rm -f "$cache"/*.fingerprint "$cache"/*-mutations.xml
  # One reactor build (-am): sibling modules resolve to their target/classes, nothing is installed.
  # shellcheck disable=SC2086
  mvn -B -q ${MVN_OPTS_EXTRA:-} -Dstyle.color=never -pl "$(IFS=,; echo "${modules[*]}")" -am test-compile > target/mutation.log 2>&1 \
      || { tail -40 target/mutation.log >&2; echo "build failed: see $repo/target/mutation.log" >&2; exit 1; }
  skips=()
  run=()
  declare -A fp
  only=" ${PIT_MODULES:-${modules[*]}} "
  for m in "${modules[@]}"; do
    fp[$m]="$(fingerprint "$m" "$targets")"
    if [[ "$only" != *" $m "* ]]; then
      skips+=("-Defiemu.pit.skip.$m=true")
    elif [[ -f "$cache/$m-mutations.xml" && "$(cat "$cache/$m.fingerprint" 2>/dev/null)" == "${fp[$m]}" ]]; then
      skips+=("-Defiemu.pit.skip.$m=true")
      echo "$m: classes and tests unchanged since its last run; its results are reused"
    else
      run+=("$m")
      rm -rf "$m/target/pit-reports"
    fi
  done
  if ((${#run[@]})); then
    start=$(date +%s)
    # shellcheck disable=SC2086
    mvn -B ${MVN_OPTS_EXTRA:-} -Dstyle.color=never -Pmutation -pl "$(IFS=,; echo "${modules[*]}")" -am \
        test-compile org.pitest:pitest-maven:mutationCoverage "${skips[@]}" \
        -DtargetClasses="$targets" -Defiemu.pit.threads="${PIT_THREADS:-1}" \
        >> target/mutation.log 2>&1 || { tail -60 target/mutation.log >&2; echo "PIT failed: see $repo/target/mutation.log" >&2; exit 1; }
    echo "PIT over ${run[*]} ($mode classes, ${PIT_THREADS:-1} thread(s)) took $(( $(date +%s) - start )) s; log: target/mutation.log"
    for m in "${run[@]}"; do
      if [[ -f "$m/target/pit-reports/mutations.xml" ]]; then
        cp "$m/target/pit-reports/mutations.xml" "$cache/$m-mutations.xml"
      else
        echo '<?xml version="1.0" encoding="UTF-8"?><mutations/>' > "$cache/$m-mutations.xml"
      fi
      echo "${fp[$m]}" > "$cache/$m.fingerprint"
    done
  fi
fi

python3 - "$cache" "${modules[@]}" <<'EOF'
import sys, os, collections
import xml.etree.ElementTree as ET
cache, modules = sys.argv[1], sys.argv[2:]
DETECTED = {"KILLED", "TIMED_OUT", "MEMORY_ERROR", "RUN_ERROR"}
def pct(k, n):
    return f"{100.0 * k / n:5.1f} %" if n else "    - "
print(f"{'module / package':52} {'mutants':>8} {'killed':>7} {'no cov':>7} {'score':>8}")
survivors = []
for m in modules:
    path = os.path.join(cache, f"{m}-mutations.xml")
    if not os.path.exists(path):
        print(f"{m:52} no results yet ({path})")
        continue
    per = collections.defaultdict(lambda: [0, 0, 0])
    for mu in ET.parse(path).getroot().iter("mutation"):
        status = mu.get("status")
        cls = mu.findtext("mutatedClass")
        c = per[cls.rsplit(".", 1)[0]]
        c[0] += 1
        if status in DETECTED: c[1] += 1
        elif status == "NO_COVERAGE": c[2] += 1
        if status not in DETECTED:
            survivors.append((m, status, cls, mu.findtext("sourceFile"), int(mu.findtext("lineNumber")),
                              mu.findtext("mutatedMethod"), mu.findtext("mutator").rsplit(".", 1)[-1],
                              mu.findtext("description")))
    tot = [sum(v[i] for v in per.values()) for i in range(3)]
    print(f"{m:52} {tot[0]:8} {tot[1]:7} {tot[2]:7} {pct(tot[1], tot[0]):>8}")
    for pkg in sorted(per):
        n, k, nc = per[pkg]
        print(f"  {pkg:50} {n:8} {k:7} {nc:7} {pct(k, n):>8}")
print()
print(f"surviving mutants ({len(survivors)}): module status file:line method mutator: description")
for m, st, cls, src, line, meth, mut, desc in sorted(survivors, key=lambda s: (s[0], s[2], s[4])):
    print(f"{m} {st} {cls.rsplit('.', 1)[0].replace('.', '/')}/{src}:{line} {meth} {mut}: {desc}")
EOF
