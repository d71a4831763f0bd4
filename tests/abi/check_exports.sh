#!/bin/sh
# check_exports.sh LIB VERSION HEADER - the ABI of the shared library (CTest test_exports):
#  - every dynamic symbol LIB defines starts with hexz_ (no hx_*, no blake3_*, nothing else);
#  - its SONAME is libhexz.so.MAJOR, MAJOR being VERSION's first number;
#  - HEADER's HEXZ_VERSION_MAJOR/MINOR/PATCH and HEXZ_VERSION_STRING equal VERSION.
set -eu
lib=$1 version=$2 header=$3
fail=0

bad=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -v '^hexz_' || true)
count=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -c '^hexz_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: $lib exports symbols outside hexz_*:"
    echo "$bad" | sed 's/^/  /'
    fail=1
fi
if [ "$count" -eq 0 ]; then
    echo "FAIL: $lib exports no hexz_* symbol"
    fail=1
fi

major=${version%%.*}
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "libhexz.so.$major" ]; then
    echo "FAIL: SONAME is '$soname', expected libhexz.so.$major"
    fail=1
fi

macro() { sed -n "s/^#define $1 \\(.*\\)\$/\\1/p" "$header"; }
got="$(macro HEXZ_VERSION_MAJOR).$(macro HEXZ_VERSION_MINOR).$(macro HEXZ_VERSION_PATCH)"
if [ "$got" != "$version" ] || [ "$(macro HEXZ_VERSION_STRING)" != "\"$version\"" ]; then
    echo "FAIL: $header says version $got ($(macro HEXZ_VERSION_STRING)), CMakeLists.txt $version"
    fail=1
fi

[ "$fail" -eq 0 ] && echo "OK: $count hexz_* symbols exported, SONAME $soname, version $version"
exit "$fail"
