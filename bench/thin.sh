#!/usr/bin/env bash
# bench/thin.sh - how small a thin archive of a new disk image is, beside casync and qcow2.
#
#   bench/thin.sh [--size N] [--dir DIR] [--build BUILD_DIR]
#
# Makes a real ext4 image (mkfs.ext4 -d) from a copy of files on this machine (/usr/share),
# then a second version of it with a few files changed, added and deleted in place (debugfs,
# no mount needed), and measures, on the same pair:
#   hexz    pack v1; pack v2 --base v1 (CDC and fixed); the thin archive's size; cat == image
#   casync  make v1 and v2 into one chunk store; the bytes v2 added to the store
#   qcow2   an overlay on v1 (backing file) holding the 64 KiB clusters v2 changed
# and prints a Markdown table. Needs e2fsprogs, qemu-utils, casync (installed if missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=256M
DIR=${BENCH_DIR:-/tmp/hexz-bench-thin}
BUILD=$ROOT/build-bench
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        *) echo "thin.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for t in mkfs.ext4:e2fsprogs debugfs:e2fsprogs qemu-img:qemu-utils casync:casync; do
    command -v "${t%%:*}" >/dev/null || apt-get install -y -qq "${t#*:}" >/dev/null
done
if [ ! -x "$BUILD/hexz" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j "$(nproc)" --target hexz_cli >/dev/null
fi
HEXZ=$BUILD/hexz
rm -rf "$DIR" && mkdir -p "$DIR/src"
cd "$DIR"

# Real files: as much of /usr/share as fits in about 60% of the image.
budget=$(( $(numfmt --from=iec "$SIZE") * 6 / 10 ))
( cd /usr/share && find . -type f -size -4M -printf '%s\t%p\n' | sort -k2 ) \
    | awk -F'\t' -v b="$budget" '{ t += $1; if (t > b) exit; print $2 }' > files.txt || true
tar -C /usr/share -cf - -T files.txt 2>/dev/null | tar -C src -xf -
mkfs.ext4 -q -F -d src -b 4096 v1.img "$SIZE"

# v2: the same file system with a few files changed in place, one added, one deleted.
cp --sparse=always v1.img v2.img
mapfile -t victims < <(cd src && find . -type f -size +8k | sort | awk 'NR % 997 == 1' | head -n 8)
for f in "${victims[@]}"; do
    p=${f#.}
    head -c 4096 /dev/urandom > patch.bin
    cat "src/$f" patch.bin > changed.bin
    debugfs -w -R "rm $p" v2.img >/dev/null 2>&1
    debugfs -w -R "write changed.bin $p" v2.img >/dev/null 2>&1
done
head -c 3000000 /dev/urandom > added.bin
debugfs -w -R "write added.bin /added.bin" v2.img >/dev/null 2>&1
last=$(cd src && find . -type f -size +64k | sort | tail -n 1)
debugfs -w -R "rm ${last#.}" v2.img >/dev/null 2>&1
e2fsck -fn v2.img >/dev/null 2>&1 || { echo "thin.sh: v2.img does not check clean" >&2; exit 1; }
changed=$(cmp -l v1.img v2.img | wc -l || true)

size() { stat -c %s "$1"; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

# hexz, CDC (default) and fixed 64 KiB.
"$HEXZ" pack v1.img -o v1.hxz -q
"$HEXZ" pack v2.img -o v2-full.hxz -q
"$HEXZ" pack v2.img -o v2.hxz --base v1.hxz -q
"$HEXZ" cat v2.hxz | cmp - v2.img
"$HEXZ" pack v1.img -o f1.hxz --chunking fixed -q
"$HEXZ" pack v2.img -o f2.hxz --base f1.hxz -q
"$HEXZ" cat f2.hxz | cmp - v2.img

# casync: one store; what v2 adds to it.
casync make --store=store v1.caibx v1.img >/dev/null
before=$(du -sb store | cut -f1)
casync make --store=store v2.caibx v2.img >/dev/null
after=$(du -sb store | cut -f1)

# qcow2: an overlay on v1 holding v2's changes. qemu-img has no command that drops the clusters
# a raw image shares with a backing file (`convert -B` copies every allocated cluster, which for
# a raw source is all of them), so the overlay is built the way a VM writing the changes builds
# it: every 64 KiB cluster that differs is written into it with qemu-io.
qemu-img convert -O qcow2 v1.img v1.qcow2
qemu-img convert -O qcow2 v2.img v2-full.qcow2
qemu-img create -q -f qcow2 -b v1.qcow2 -F qcow2 v2.qcow2
python3 - v1.img v2.img > clusters.txt <<'PY'
import sys
a, b = open(sys.argv[1], "rb"), open(sys.argv[2], "rb")
off = 0
while True:
    x, y = a.read(65536), b.read(65536)
    if not y:
        break
    if x != y:
        print(off)
    off += 65536
PY
while read -r off; do
    dd if=v2.img of=cluster.bin bs=65536 skip=$((off / 65536)) count=1 status=none
    qemu-io -f qcow2 -c "write -s cluster.bin $off 65536" v2.qcow2 >/dev/null
done < clusters.txt
qemu-img compare -f raw -F qcow2 v2.img v2.qcow2 >/dev/null || { echo "thin.sh: the qcow2 overlay does not read as v2" >&2; exit 1; }

full=$(size v2-full.hxz)
echo
echo "Image: ext4, $SIZE, $(du -sb src | cut -f1) bytes of /usr/share files; v2 changes ${#victims[@]} files, adds 3 MB, deletes 1; $changed bytes of the image differ."
echo
echo "| tool | full v2 | delta for v2 | delta / full |"
echo "|---|---:|---:|---:|"
row "hexz pack --base (CDC 16K/64K/256K, lz4)" "$full" "$(size v2.hxz)" "$(awk "BEGIN{printf \"%.2f%%\", 100*$(size v2.hxz)/$full}")"
row "hexz pack --base (fixed 64K, lz4)" "$(size f1.hxz)" "$(size f2.hxz)" "$(awk "BEGIN{printf \"%.2f%%\", 100*$(size f2.hxz)/$(size f1.hxz)}")"
row "casync make (same store)" "$before" "$((after - before))" "$(awk "BEGIN{printf \"%.2f%%\", 100*($after-$before)/$before}")"
row "qcow2 overlay on v1 ($(wc -l < clusters.txt) changed 64K clusters)" "$(size v2-full.qcow2)" "$(size v2.qcow2)" "$(awk "BEGIN{printf \"%.2f%%\", 100*$(size v2.qcow2)/$(size v2-full.qcow2)}")"
echo
echo "hexz reads v2.hxz back equal to v2.img (cmp); chain: $("$HEXZ" inspect v2.hxz | grep -ci base) lines about its base in inspect."
