#!/usr/bin/env bash
# test-examples.sh BUILD - installs the library of BUILD into a scratch prefix and builds the
# programs of examples/ against that installation twice, with pkg-config (examples/Makefile)
# and with find_package(hexz) (examples/CMakeLists.txt), then runs every one of them and checks
# their output byte for byte. It also builds read_random against a header whose
# hexz_open_options is the older version 1 (scripts/old-header.py) and runs it with this
# library: a program built against an older release keeps working (docs/ABI.md).
# Part of .ci/run; needs nothing installed outside the scratch prefix.
set -euo pipefail
build=${1:?usage: test-examples.sh BUILD}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-examples: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name libhexz.so.1 | head -1)")
export PKG_CONFIG_PATH=$libdir/pkgconfig
export LD_LIBRARY_PATH=$libdir
hexz=$prefix/bin/hexz

echo "== examples with pkg-config ($(pkg-config --modversion hexz))"
cp -r "$root/examples" "$work/pc"
make -s -C "$work/pc" >/dev/null
echo "== examples with find_package(hexz)"
cmake -S "$root/examples" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
echo "== read_random against a header with hexz_open_options version 1"
mkdir "$work/old"
python3 "$root/scripts/old-header.py" "$prefix/include/hexz.h" "$work/old/hexz.h"
cc -std=c17 -Wall -Wextra -Werror -I"$work/old" "$root/examples/read_random.c" \
  -o "$work/old/read_random" -L"$libdir" -lhexz

for bin in "$work/pc" "$work/cm"; do
  ldd "$bin/read_random" | grep -q "$libdir/libhexz.so.1" || fail "$bin/read_random: not linked to $libdir"
  cd "$work" && rm -rf run && mkdir run && cd run
  # pack_buffer -> read_random: the records, the hole, the second stream.
  "$bin/pack_buffer" buf.hxz >/dev/null
  [ "$("$bin/read_random" buf.hxz main 0 24)" = "record 0 of the example" ] || fail "$bin: main at 0"
  seq -f 'record %g of the example' 0 99999 >records.txt
  total=$(stat -c %s records.txt)
  "$bin/read_random" buf.hxz main 0 "$total" | cmp - records.txt ||
    fail "$bin: main stream differs from what pack_buffer wrote"
  want='record 99999 of the example'
  [ "$("$bin/read_random" buf.hxz main $((total - 28)) 28)" = "$want" ] || fail "$bin: last record"
  [ "$("$bin/read_random" buf.hxz main "$total" 4096 | tr -d '\0' | wc -c)" = 0 ] || fail "$bin: hole"
  [ "$("$bin/read_random" buf.hxz main $((total + (64 << 20) - 10)) 4096 | wc -c)" = 10 ] ||
    fail "$bin: end of stream"
  [ "$("$bin/read_random" buf.hxz notes 0 100)" = "a second stream" ] || fail "$bin: notes stream"
  set +e
  err=$("$bin/read_random" buf.hxz nosuch 0 1 2>&1)
  rc=$?
  set -e
  [ $rc = 1 ] && [[ $err == *"nosuch"* ]] || fail "$bin: missing stream: rc $rc, $err"
  # list_tree on a tree packed by the installed tool.
  mkdir -p t/sub && printf 'hello\n' >t/a.txt && printf 'x' >t/sub/b && ln -s a.txt t/link
  chmod 644 t/a.txt t/sub/b && chmod 755 t/sub
  "$hexz" pack t -o tree.hxz >/dev/null 2>&1
  "$bin/list_tree" tree.hxz >list.txt
  printf '%s\n' '-0644          6 a.txt' 'l0777          5 link -> a.txt' \
    'd0755          0 sub' '-0644          1 sub/b' >want.txt
  diff want.txt list.txt || fail "$bin/list_tree: listing differs"
  # verify_signed: good signature, wrong key, damaged archive.
  "$hexz" keygen -o k >/dev/null
  "$hexz" keygen -o other >/dev/null
  "$hexz" sign tree.hxz -k k.key --trusted-comment "release 1" >/dev/null
  out=$("$bin/verify_signed" tree.hxz k.pub)
  [[ $out == "tree.hxz: good signature (signed at "*', comment "release 1"), content intact' ]] ||
    fail "$bin/verify_signed: $out"
  set +e
  "$bin/verify_signed" tree.hxz other.pub 2>/dev/null
  rc=$?
  set -e
  [ $rc = 1 ] || fail "$bin/verify_signed: another key's check gave $rc"
done

# The old-header build reads an archive like the current one does.
cd "$work/run"
[ "$("$work/old/read_random" buf.hxz notes 0 100)" = "a second stream" ] ||
  fail "read_random built with the version 1 header"
echo "test-examples: OK (pkg-config, find_package, old header)"
