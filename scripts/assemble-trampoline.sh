#!/usr/bin/env bash
# Reassembles a hand-off trampoline from its source. The binaries are committed (our own code,
# a few hundred bytes each) so the build needs no assembler; TrampolineTest and
# Aarch64TrampolineTest check they match the sources.
#   scripts/assemble-trampoline.sh [OUT]            x86_64: trampoline.S -> trampoline.bin
#   scripts/assemble-trampoline.sh [OUT] aarch64    trampoline-aarch64.S -> trampoline-aarch64.bin
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${2:-x86_64}"
case "$arch" in
  x86_64)  name=trampoline ;;
  aarch64) name=trampoline-aarch64 ;;
  *) echo "unknown architecture $arch (x86_64, aarch64)" >&2; exit 1 ;;
esac
src="$repo/emulator-core/src/main/asm/$name.S"
out="${1:-$repo/emulator-core/src/main/resources/dev/efiemu/core/handoff/$name.bin}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
clang --target="$arch-linux-gnu" -c "$src" -o "$tmp/t.o"
if llvm-readelf-14 -r "$tmp/t.o" 2>/dev/null | grep -q "Relocation section"; then
  echo "$name.S must assemble without relocations" >&2; exit 1
fi
llvm-objcopy-14 -O binary -j .text "$tmp/t.o" "$out"
