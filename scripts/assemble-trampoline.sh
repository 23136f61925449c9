#!/usr/bin/env bash
# Reassembles the hand-off trampoline from its source. The binary is committed (it is our own
# code, 373 bytes) so the build needs no assembler; TrampolineTest checks it matches the source.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/emulator-core/src/main/asm/trampoline.S"
out="${1:-$repo/emulator-core/src/main/resources/dev/efiemu/core/handoff/trampoline.bin}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
clang --target=x86_64-linux-gnu -c "$src" -o "$tmp/t.o"
if llvm-readelf-14 -r "$tmp/t.o" 2>/dev/null | grep -q "Relocation section"; then
  echo "trampoline.S must assemble without relocations" >&2; exit 1
fi
objcopy -O binary -j .text "$tmp/t.o" "$out"
