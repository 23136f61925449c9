#!/usr/bin/env bash
# Installs what efiemu needs on a Debian 12 machine, idempotently:
#   - Debian packages: JDK 17, Maven, the tools the fixtures builder calls, the reference tools the
#     tests compare against (pesign, sbverify, gdb, systemd-measure, tpm2-tools, swtpm, python3-pefile),
#     what the kexec lab is built from (jlink of the JDK, ldd) and boots in (qemu-system-x86),
#     Debian's Unicorn 2.0.1 (the slow fallback engine, also used by the tests that prove the
#     fallback works);
#   - apt's arm64 architecture (dpkg --add-architecture arm64, then apt-get update): the fixtures
#     download Debian's arm64 kernel; nothing else changes the host's package set-up;
#   - the fast engine: libunicorn.so.2 from the official `unicorn` 2.1.4 wheel (the first release
#     with the virtual TLB and the inline store path), fetched with pip into the cache, never into
#     the repository, and refused unless its sha256 is the one pinned in unicorn.sha256 beside
#     this script.
# A stamp in the cache makes a second run a no-op that takes milliseconds.
set -euo pipefail

CACHE="${EFIEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/efiemu}"
UNICORN_VERSION=2.1.4
UNICORN_DIR="$CACHE/unicorn/$UNICORN_VERSION"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$CACHE/setup.stamp"
want="$(cat "$here/setup.sh" "$here/unicorn.sha256" | sha256sum | cut -c1-16)"

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
  [/usr/sbin/mkfs.vfat]=dosfstools [mcopy]=mtools [swtpm]=swtpm [swtpm_setup]=swtpm-tools
  # the installer ISO fixture (El Torito EFI image on an ISO 9660 image, as Debian builds its media)
  [xorriso]=xorriso [sfdisk]=fdisk
  [jlink]=openjdk-17-jdk-headless [ldd]=libc-bin
  [pesign]=pesign [gdb]=gdb [/usr/lib/python3/dist-packages/pefile.py]=python3-pefile
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
need_arm64=0
if command -v dpkg >/dev/null 2>&1 && ! dpkg --print-foreign-architectures | grep -qx arm64; then need_arm64=1; fi
if ((${#missing[@]} || need_arm64)); then
  if [[ $(id -u) -ne 0 ]]; then
    ((${#missing[@]})) && say "missing Debian packages: ${missing[*]} — run as root or: sudo apt-get install -y ${missing[*]}"
    ((need_arm64)) && say "apt has no arm64 architecture (the fixtures need Debian's arm64 kernel) — run as root or: sudo dpkg --add-architecture arm64 && sudo apt-get update"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ((need_arm64)); then
    say "adding apt's arm64 architecture (for the fixtures' arm64 kernel package)"
    dpkg --add-architecture arm64
  fi
  apt-get update -qq
  if ((${#missing[@]})); then
    mapfile -t uniq < <(printf '%s\n' "${missing[@]}" | sort -u)
    say "installing ${uniq[*]}"
    apt-get install -y -qq --no-install-recommends "${uniq[@]}" >/dev/null
  fi
fi

# The pinned digests: "sha256  name" lines for the wheel and the library inside it.
PINS="$here/unicorn.sha256"
verify() { # FILE NAME: refuses FILE unless its sha256 is the one pinned for NAME
  local want got
  want="$(awk -v n="$2" '$2 == n {print $1}' "$PINS")"
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ -z "$want" ]]; then
    say "$1: no sha256 pinned for $2 in $PINS; refusing to load it as native code"
    return 1
  fi
  if [[ "$got" != "$want" ]]; then
    say "$1: sha256 $got, but $PINS pins $want for $2; refusing to load it as native code"
    return 1
  fi
}

if [[ -f "$UNICORN_DIR/libunicorn.so.2" ]] && ! verify "$UNICORN_DIR/libunicorn.so.2" libunicorn.so.2; then
  say "removing the cached library that does not match the pin; fetching it again"
  rm -f "$UNICORN_DIR/libunicorn.so.2" "$UNICORN_DIR/libunicorn.so.2.sha256"
fi
if [[ ! -f "$UNICORN_DIR/libunicorn.so.2" ]]; then
  say "fetching the fast engine: unicorn $UNICORN_VERSION wheel (pip download)"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary :all: \
      --platform manylinux2014_x86_64 -d "$tmp" "unicorn==$UNICORN_VERSION"
  whl="$(ls "$tmp"/unicorn-*.whl | head -1)"
  verify "$whl" "$(basename "$whl")"
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
  if ! verify "$UNICORN_DIR/libunicorn.so.2" libunicorn.so.2; then rm -f "$UNICORN_DIR/libunicorn.so.2"; exit 1; fi
  (cd "$UNICORN_DIR" && sha256sum libunicorn.so.2 > libunicorn.so.2.sha256)
  say "fast engine at $UNICORN_DIR/libunicorn.so.2"
fi

mkdir -p "$CACHE"
echo "$want" > "$stamp"
