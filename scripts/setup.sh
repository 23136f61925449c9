#!/usr/bin/env bash
# Installs what efiemu needs on a Debian 12 machine, idempotently:
#   - Debian packages: JDK 17, Maven, the tools the fixtures builder calls, Debian's Unicorn 2.0.1
#     (the slow fallback engine, also used by the tests that prove the fallback works);
#   - the fast engine: libunicorn.so.2 from the official `unicorn` 2.1.4 wheel (2.0.1 sends every
#     guest store through a slow helper; docs/architecture.md, "Engine set-up"), fetched with pip
#     into the cache, never into the repository.
# A stamp in the cache makes a second run a no-op that takes milliseconds.
set -euo pipefail

CACHE="${EFIEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/efiemu}"
UNICORN_VERSION=2.1.4
UNICORN_DIR="$CACHE/unicorn/$UNICORN_VERSION"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$CACHE/setup.stamp"
want="$(sha256sum "$here/setup.sh" | cut -c1-16)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$UNICORN_DIR/libunicorn.so.2" ]]; then
  exit 0
fi

say() { echo "efiemu setup: $*" >&2; }

# Debian packages: command or file that proves presence -> package.
declare -A need=(
  [java]=openjdk-17-jdk-headless [javac]=openjdk-17-jdk-headless [mvn]=maven
  [gcc]=gcc [clang]=clang [lld-link]=lld [objcopy]=binutils [cpio]=cpio
  [dpkg-deb]=dpkg [apt-get]=apt [python3]=python3 [gzip]=gzip [zstd]=zstd
  [sbsign]=sbsigntool [openssl]=openssl
  [/usr/lib/x86_64-linux-gnu/libunicorn.so.2]=libunicorn2
  [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
  [qemu-system-x86_64]=qemu-system-x86 [llvm-readelf-14]=llvm-14
  [/lib/systemd/systemd-measure]=systemd [tpm2_eventlog]=tpm2-tools [readelf]=binutils
  [/usr/sbin/mkfs.vfat]=dosfstools [mcopy]=mtools
  # arm64: the zboot kernels built from Debian's sources (fixtures), their hand-off booted in QEMU
  [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu [make]=make [flex]=flex [bison]=bison [bc]=bc [xz]=xz-utils
  [/usr/src/linux-source-6.1.tar.xz]=linux-source-6.1 [/usr/src/linux-source-6.12.tar.xz]=linux-source-6.12
  [/usr/aarch64-linux-gnu/lib/libc.a]=libc6-dev-arm64-cross [qemu-system-aarch64]=qemu-system-arm [dtc]=device-tree-compiler
)
missing=()
for k in "${!need[@]}"; do
  if [[ "$k" == /* ]]; then [[ -e "$k" ]] || missing+=("${need[$k]}")
  else command -v "$k" >/dev/null 2>&1 || missing+=("${need[$k]}"); fi
done
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    say "missing Debian packages: ${missing[*]} — run as root or: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  mapfile -t uniq < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing ${uniq[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${uniq[@]}" >/dev/null
fi

if [[ ! -f "$UNICORN_DIR/libunicorn.so.2" ]]; then
  say "fetching the fast engine: unicorn $UNICORN_VERSION wheel (pip download)"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary :all: \
      --platform manylinux2014_x86_64 -d "$tmp" "unicorn==$UNICORN_VERSION"
  whl="$(ls "$tmp"/unicorn-*.whl | head -1)"
  mkdir -p "$UNICORN_DIR"
  python3 - "$whl" "$UNICORN_DIR" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.endswith("/libunicorn.so.2")]
    if not names:
        sys.exit(f"{whl}: no libunicorn.so.2 inside the wheel")
    data = z.read(names[0])
tmp = os.path.join(out, ".libunicorn.so.2.part")
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, os.path.join(out, "libunicorn.so.2"))
PY
  (cd "$UNICORN_DIR" && sha256sum libunicorn.so.2 > libunicorn.so.2.sha256)
  say "fast engine at $UNICORN_DIR/libunicorn.so.2"
fi

mkdir -p "$CACHE"
echo "$want" > "$stamp"
