# Sourced by the bench scripts: the repository, the fixtures (fetched or built first, outside any
# timing), the jar, and the median of numbers on stdin. Sets repo, fx and jar.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/efiemu" fixtures fetch >/dev/null
fx="$("$repo/efiemu" fixtures path)"
jar="$repo/cli/target/efiemu.jar"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
