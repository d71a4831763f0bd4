#!/usr/bin/env bash
# test-deb.sh - installs the packages made by scripts/build-deb.sh into this system, checks
# that they work, and removes them again. For CI (.ci/run) and other throw-away machines only:
# it needs root (or sudo) and changes /usr.
#
#   scripts/test-deb.sh [DIR]        (default DIR: build-deb/, where build-deb.sh puts them)
#
# It refuses to run when libhexz1, libhexz-dev or hexz is already installed (it would remove
# them afterwards). With apt-get install ./*.deb (which brings missing dependencies), it checks:
# the tool /usr/bin/hexz comes from the hexz package and runs (--version, help); `man -w hexz`
# finds the page when the package has man pages; an archive packed by it reads back
# byte-exact; a small C program built with `pkg-config --cflags --libs hexz` against /usr (so
# the packaged hexz.h, libhexz.so and hexz.pc), one linked with libhexz.a and the modules of
# hexz.pc's Requires.private, and one built by CMake's find_package(hexz) (hexz::hexz) read the
# same archive back. The packages are purged at the end, also after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 1 ]; then
  echo "usage: scripts/test-deb.sh [DIR]" >&2
  exit 2
fi
dir=$(realpath -m "${1:-build-deb}")
pkgs=(libhexz1 libhexz-dev hexz)
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "test-deb: needs root or sudo (it installs into the system)" >&2; exit 1; }
  sudo="sudo"
fi
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs=()
for p in "${pkgs[@]}"; do
  f="$dir/${p}_${version}_${arch}.deb"
  [ -f "$f" ] || { echo "test-deb: $f: no such package (run scripts/build-deb.sh first)" >&2; exit 1; }
  debs+=("$f")
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    echo "test-deb: $p is already installed; remove it first (this script would remove it)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hexz-test-deb.XXXXXX")
cleanup() {
  local rc=$?
  echo "== test-deb: removing ${pkgs[*]}"
  $sudo dpkg --purge "${pkgs[@]}" >/dev/null || rc=1
  if [ -e /usr/bin/hexz ] || [ -e "/usr/lib/$multiarch/libhexz.so.1" ]; then
    echo "test-deb: /usr/bin/hexz or libhexz.so.1 still present after dpkg --purge" >&2
    rc=1
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
fail() {
  echo "test-deb: $*" >&2
  exit 1
}

echo "== test-deb: apt-get install ${debs[*]##*/}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install failed"; }

hexz=/usr/bin/hexz
owner=$(dpkg-query -S "$hexz" | cut -d: -f1)
[ "$owner" = hexz ] || fail "$hexz belongs to '$owner', not to the hexz package"
out=$("$hexz" --version)
case "$out" in
  "hexz $upstream (format "*) ;;
  *) fail "hexz --version printed '$out', expected 'hexz $upstream (format ...)'" ;;
esac
echo "$out"
"$hexz" help | grep -q '^  pack ' || fail "hexz help does not list the pack command"

if dpkg-query -L hexz | grep -q '^/usr/share/man/man1/hexz\.1\.gz$'; then
  page=$(man -w hexz) || fail "man -w hexz finds no page although the package has one"
  [ "$page" = /usr/share/man/man1/hexz.1.gz ] || fail "man -w hexz gives $page"
  echo "man -w hexz: $page"
else
  echo "test-deb: the hexz package has no man pages yet: man -w hexz not checked"
fi

cd "$work"
head -c 300000 /dev/urandom >sample
printf 'hexz test-deb %s\n' "$upstream" >>sample
"$hexz" pack sample -o sample.hxz -q
"$hexz" verify sample.hxz
"$hexz" cat sample.hxz >sample.out
cmp sample sample.out || fail "hexz cat sample.hxz differs from sample"

# A program on the packaged public header only: reads stream 0 and compares it with the file.
cat >readback.c <<'EOF'
#include <hexz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    FILE *f = fopen(argv[2], "rb");
    static char want[1 << 20], got[1 << 20];
    size_t n = f ? fread(want, 1, sizeof want, f) : 0, got_n = 0;
    hexz_reader *r = NULL;
    if (!f || hexz_reader_open(&r, argv[1]) != HEXZ_OK ||
        hexz_reader_read_at(r, 0, got, sizeof got, 0, &got_n) != HEXZ_OK) {
        printf("readback: %s: %s\n", argv[1], f ? hexz_last_error() : "cannot open the original");
        return 1;
    }
    int same = got_n == n && memcmp(want, got, n) == 0;
    printf("readback: libhexz %s: %zu bytes %s\n", hexz_version(), got_n, same ? "match" : "DIFFER");
    hexz_reader_free(r);
    fclose(f);
    return same ? 0 : 1;
}
EOF
read -r -a pc_flags <<<"$(pkg-config --cflags --libs hexz)"
echo "pkg-config --cflags --libs hexz: ${pc_flags[*]}"
cc -std=c17 -Wall -Wextra -Werror readback.c -o readback "${pc_flags[@]}"
readelf -d readback | grep -q 'NEEDED.*\[libhexz\.so\.1\]' || fail "readback does not need libhexz.so.1"
loaded=$(ldd readback | awk '$1 == "libhexz.so.1" { print $3 }')
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "/usr/lib/$multiarch/libhexz.so.1")" ] ||
  fail "readback loads '$loaded', not the packaged /usr/lib/$multiarch/libhexz.so.1"
./readback sample.hxz sample

# libhexz.a, with the modules of hexz.pc's Requires.private linked as shared libraries (their
# static closure, as `pkg-config --static` lists it for libcurl, is not all packaged in Debian)
# and -pthread: what those lines promise is enough to link the archive.
read -r -a private <<<"$(pkg-config --print-requires-private hexz | tr '\n' ' ')"
read -r -a private_libs <<<"$(pkg-config --libs "${private[@]}")"
read -r -a cflags <<<"$(pkg-config --cflags hexz)"
echo "libhexz.a with: ${private_libs[*]} -pthread"
cc -std=c17 -Wall -Wextra -Werror readback.c -o readback_static "${cflags[@]}" \
  "/usr/lib/$multiarch/libhexz.a" "${private_libs[@]}" -pthread
if readelf -d readback_static | grep -q 'libhexz\.so'; then fail "readback_static needs libhexz.so"; fi
./readback_static sample.hxz sample

# The CMake package: find_package(hexz) and the imported target hexz::hexz.
mkdir cmake-src
cp readback.c cmake-src/
cat >cmake-src/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(readback C)
find_package(hexz 1.0 REQUIRED)
add_executable(readback readback.c)
target_link_libraries(readback PRIVATE hexz::hexz)
EOF
cmake -S cmake-src -B cmake-build -DCMAKE_PREFIX_PATH=/usr >cmake.log 2>&1 ||
  { cat cmake.log >&2; fail "cmake with find_package(hexz) failed"; }
cmake --build cmake-build >>cmake.log 2>&1 || { cat cmake.log >&2; fail "building with hexz::hexz failed"; }
./cmake-build/readback sample.hxz sample

echo "test-deb: OK (${pkgs[*]} $version)"
