#!/usr/bin/env bash
# Mutation testing with PIT (pitest-maven 1.30.2, pitest-junit5-plugin 1.2.3) over loader,
# emulator-core and protocols: PIT changes the compiled code one small fault at a time (a negated
# condition, a changed boundary, a removed call, a constant return) and runs the tests that cover
# it; a mutant no test fails on "survives". Prints the mutation score per module and per package
# and where each surviving mutant is. Slow, so never in CI: the Maven profile `mutation` (root
# pom.xml) holds the set-up, and a normal build does not load PIT.
#
#   bench/mutation.sh            the packages that matter most (below)
#   bench/mutation.sh --all      every class of the three modules
#   bench/mutation.sh --report   only print the figures of the last run again
#
# Environment: PIT_THREADS (default 1: the machine is shared), PIT_FRESH=1 to forget earlier
# results, PIT_CLASSES='dev.efiemu.loader.auth.*,...' to mutate only those classes (the history
# then keeps only their results); MVN_OPTS_EXTRA (e.g. -o) is passed to Maven. Results are kept per module in
# ~/.cache/efiemu/pit/<module>.history, so a rerun only runs the mutants whose class or
# covering tests changed. Reports: <module>/target/pit-reports/index.html and mutations.xml.
# Tests that start QEMU are left out (the profile's excludedTestClasses); the fixtures must be
# fetched (./efiemu fixtures), as for the tests.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
modules=(loader emulator-core protocols)

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

if [[ "$mode" != report ]]; then
  if [[ "$mode" == all ]]; then classes=("${all_classes[@]}"); else classes=("${key_classes[@]}"); fi
  targets="${PIT_CLASSES:-$(IFS=,; echo "${classes[*]}")}"
  if [[ "${PIT_FRESH:-0}" == 1 ]]; then
    for m in "${modules[@]}"; do rm -f "$HOME/.cache/efiemu/pit/$m.history"; done
  fi
  mkdir -p "$HOME/.cache/efiemu/pit"
  mkdir -p target
  for m in "${modules[@]}"; do rm -rf "$m/target/pit-reports"; done
  start=$(date +%s)
  # One reactor build (-am): sibling modules resolve to their target/classes, nothing is installed.
  # shellcheck disable=SC2086
  mvn -B ${MVN_OPTS_EXTRA:-} -Dstyle.color=never -Pmutation -pl "$(IFS=,; echo "${modules[*]}")" -am \
      test-compile org.pitest:pitest-maven:mutationCoverage \
      -DtargetClasses="$targets" -Defiemu.pit.threads="${PIT_THREADS:-1}" \
      > target/mutation.log 2>&1 || { tail -60 target/mutation.log >&2; echo "PIT failed: see $repo/target/mutation.log" >&2; exit 1; }
  echo "PIT ($mode classes, ${PIT_THREADS:-1} thread(s)) took $(( $(date +%s) - start )) s; log: target/mutation.log"
fi

python3 - "$repo" "${modules[@]}" <<'EOF'
import sys, os, collections
import xml.etree.ElementTree as ET
repo, modules = sys.argv[1], sys.argv[2:]
DETECTED = {"KILLED", "TIMED_OUT", "MEMORY_ERROR", "RUN_ERROR"}
def pct(k, n):
    return f"{100.0 * k / n:5.1f} %" if n else "    - "
print(f"{'module / package':52} {'mutants':>8} {'killed':>7} {'no cov':>7} {'score':>8}")
survivors = []
for m in modules:
    path = os.path.join(repo, m, "target", "pit-reports", "mutations.xml")
    if not os.path.exists(path):
        print(f"{m:52} no report ({path})")
        continue
    per = collections.defaultdict(lambda: [0, 0, 0])
    for mu in ET.parse(path).getroot().iter("mutation"):
        status = mu.get("status")
        cls = mu.findtext("mutatedClass")
        pkg = cls.rsplit(".", 1)[0]
        c = per[pkg]
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
    pkgdir = cls.rsplit(".", 1)[0].replace(".", "/")
    print(f"{m} {st} {pkgdir}/{src}:{line} {meth} {mut}: {desc}")
EOF
