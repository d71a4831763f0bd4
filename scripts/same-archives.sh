#!/usr/bin/env bash
# same-archives.sh - proves a change writes the same archives: builds libhexz at commit REF (in a
# temporary directory, from `git archive`) and from the current working tree, compiles the driver
# tests/tools/pack_same.c against each, packs the same inputs with the same options with both,
# and compares the archives byte for byte.
#
# Usage: scripts/same-archives.sh [REF]
#   REF defaults to the merge-base of HEAD with main (else ae66e1d).
#   Exit 0: every archive is identical; 1: the first archive that differs is named (both copies
#   are kept under $KEEP when it is set); 2: a build or a pack failed.
#
# Inputs: the bench data sets (bench/gen_data.py mixed at 16 MiB, a small tree, and an edited copy
# of the mixed file for thin archives), the tree behind tests/fixtures/format-1.4 (README.md
# there), with options: fixed and CDC chunking at several sizes, none/lz4/zstd (and LZ4 HC, zstd
# 9), no dedup, a trained zstd dictionary, an extra stream, 1 and 2 threads; a directory tree
# through hexz_pack_path's tree walk; thin archives against a base; a signed archive (the driver
# pins the signature's time). Encryption is left out: its salts and nonces are random by design.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
ref=${1:-}
if [ -z "$ref" ]; then
    ref=$(git merge-base HEAD main 2>/dev/null || echo ae66e1d)
fi
ref_commit=$(git rev-parse --verify -q "$ref^{commit}") || {
    echo "same-archives: $ref: not a commit" >&2
    exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/same-archives.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
jobs=${JOBS:-2}

# build NAME SRC: libhexz of the tree SRC in $tmp/NAME-build, then the driver against it.
build()
{
    local name=$1 src=$2 b=$tmp/$1-build
    echo "== building $name ($src)"
    cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
        -DHEXZ_FUZZ=OFF -DHEXZ_BENCH=OFF >"$tmp/$name-cmake.log" 2>&1 &&
        cmake --build "$b" -j "$jobs" --target hexz >"$tmp/$name-build.log" 2>&1 || {
        echo "same-archives: building $name failed; the log's end:" >&2
        tail -20 "$tmp/$name-build.log" "$tmp/$name-cmake.log" >&2
        exit 2
    }
    # The static library when the build makes one, else the shared one (found at run time
    # through the rpath); either way the driver's time() takes the place of libc's.
    local lib
    lib=$(find "$b" -maxdepth 2 -name libhexz.a -print -quit)
    [ -n "$lib" ] || lib=$(find "$b" -maxdepth 2 -name 'libhexz.so' -print -quit)
    [ -n "$lib" ] || { echo "same-archives: $name: no libhexz.a or libhexz.so in $b" >&2; exit 2; }
    # shellcheck disable=SC2046
    cc -std=c17 -O1 -Wall -Wextra -Werror -I"$src/include" "$here/tests/tools/pack_same.c" \
        "$lib" -Wl,-rpath,"$(dirname "$lib")" \
        $(pkg-config --libs liblz4 libzstd libxxhash libsodium libcurl) -lpthread \
        -o "$tmp/$name-pack_same"
}

mkdir -p "$tmp/ref-src"
git archive "$ref_commit" | tar -x -C "$tmp/ref-src"
build ref "$tmp/ref-src"
build cur "$here"

echo "== inputs"
in=$tmp/in
mkdir -p "$in"
python3 bench/gen_data.py mixed "$in/mixed.img" --size 16M >/dev/null
python3 bench/gen_data.py tree "$in/tree" --files 300 --large 2 --large-size 1M >/dev/null
# The next version of mixed.img: a few edited regions and an insertion, for thin archives.
python3 - "$in/mixed.img" "$in/mixed-v2.img" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
for off in (1 << 20, 5 << 20, 9 << 20):
    data[off:off + 4096] = bytes((i * 7 + off) & 255 for i in range(4096))
data[12 << 20:12 << 20] = b"inserted, shifting what follows\n" * 100
open(sys.argv[2], "wb").write(data)
EOF
head -c 300000 "$in/mixed.img" | tail -c 100000 >"$in/extra.bin"
# The tree of tests/fixtures/format-1.4/README.md, with fixed times.
mkdir -p "$in/fixture/sub"
printf 'hello, hexz 1.4\n' >"$in/fixture/a.txt"
printf 'second file\n' >"$in/fixture/sub/b.txt"
ln -s a.txt "$in/fixture/link"
find "$in/fixture" "$in/tree" -exec touch -h -d @1700000000 {} +
# One signing key for both builds (keys are random: made once, the same file given to both).
"$tmp/cur-pack_same" --keygen "$tmp/key"

# The jobs: an archive name, then the driver's INPUT and options. Bases come before their
# thin archives; every build writes into its own directory, so relative base paths agree.
cat >"$tmp/jobs" <<EOF
mixed-fixed4k-none-t1 $in/mixed.img --fixed 4096 --codec none --threads 1
mixed-fixed4k-lz4-t2 $in/mixed.img --fixed 4096 --codec lz4 --threads 2
mixed-fixed64k-lz4-t1 $in/mixed.img --fixed 65536 --codec lz4 --threads 1
mixed-fixed64k-zstd-t2 $in/mixed.img --fixed 65536 --codec zstd --threads 2
mixed-fixed16k-zstd9-t1 $in/mixed.img --fixed 16384 --codec zstd --level 9 --threads 1
mixed-cdc16k-lz4-t1 $in/mixed.img --cdc 16384 --codec lz4 --threads 1
mixed-cdc16k-zstd-t2 $in/mixed.img --cdc 16384 --codec zstd --threads 2
mixed-cdc64k-none-t2 $in/mixed.img --cdc 65536 --codec none --threads 2
mixed-cdc64k-lz4hc-t2 $in/mixed.img --cdc 65536 --codec lz4 --level 9 --threads 2
mixed-cdc64k-zstd-t1 $in/mixed.img --cdc 65536 --codec zstd --threads 1
mixed-cdc64k-lz4-nodedup-t2 $in/mixed.img --cdc 65536 --codec lz4 --no-dedup --threads 2
mixed-streams-t2 $in/mixed.img --codec zstd --stream extra=$in/extra.bin --threads 2
mixed-v2-thin-cdc-t2 $in/mixed-v2.img --base @/mixed-cdc64k-zstd-t1.hxz --codec zstd --threads 2
mixed-v2-thin-fixed-t1 $in/mixed-v2.img --base @/mixed-fixed64k-lz4-t1.hxz --threads 1
tree-cdc-lz4-t1 $in/tree --codec lz4 --threads 1
tree-cdc-zstd-t2 $in/tree --codec zstd --threads 2
tree-fixed16k-zstd-t1 $in/tree --fixed 16384 --codec zstd --threads 1
tree-dict-zstd-t2 $in/tree --codec zstd --dict 16384 --threads 2
tree-dict-fixed-zstd-t1 $in/tree --fixed 8192 --codec zstd --dict 8192 --threads 1
fixture-default $in/fixture
fixture-signed $in/fixture --sign $tmp/key.key made-by-same-archives
EOF

echo "== packing $(wc -l <"$tmp/jobs") archives with each build"
for name in ref cur; do
    mkdir -p "$tmp/out-$name"
    while read -r archive input opts; do
        # shellcheck disable=SC2086
        "$tmp/$name-pack_same" "$tmp/out-$name/$archive.hxz" "$input" \
            ${opts//@\//$tmp/out-$name/} || {
            echo "same-archives: $name: packing $archive failed" >&2
            exit 2
        }
    done <"$tmp/jobs"
done

echo "== comparing"
count=0
while read -r archive _; do
    if ! cmp -s "$tmp/out-ref/$archive.hxz" "$tmp/out-cur/$archive.hxz"; then
        echo "same-archives: $archive.hxz differs between $ref (${ref_commit:0:7}) and the current tree:" >&2
        cmp "$tmp/out-ref/$archive.hxz" "$tmp/out-cur/$archive.hxz" >&2 || true
        if [ -n "${KEEP:-}" ]; then
            mkdir -p "$KEEP"
            cp "$tmp/out-ref/$archive.hxz" "$KEEP/$archive.ref.hxz"
            cp "$tmp/out-cur/$archive.hxz" "$KEEP/$archive.cur.hxz"
            echo "same-archives: both copies are in $KEEP" >&2
        fi
        exit 1
    fi
    count=$((count + 1))
done <"$tmp/jobs"
echo "same-archives: all $count archives are byte-identical between $ref (${ref_commit:0:7}) and the current tree"
