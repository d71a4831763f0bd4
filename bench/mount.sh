#!/usr/bin/env bash
# bench/mount.sh - reading through `hexz mount` beside squashfuse on a squashfs image of the same
# data: sequential reads of every file, and 4 KiB random preads in one large file.
#
#   bench/mount.sh [--size N] [--reads N] [--dir DIR] [--build BUILD_DIR]
#
# The data: a tree of small files plus one large mixed file of --size (default 256M). Both
# images use comparable settings (hexz: lz4, CDC; squashfs: lz4, 128K blocks); the page cache
# is dropped before each measurement when the machine allows it (else runs are warm and the
# report says so).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=256M
READS=20000
DIR=${BENCH_DIR:-/tmp/hexz-bench-mount}
BUILD=$ROOT/build-bench
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --reads) READS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        *) echo "mount.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for t in mksquashfs:squashfs-tools squashfuse:squashfuse fusermount3:fuse3; do
    command -v "${t%%:*}" >/dev/null || apt-get install -y -qq "${t#*:}" >/dev/null
done
if [ ! -x "$BUILD/hexz" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j "$(nproc)" --target hexz_cli >/dev/null
fi
HEXZ=$BUILD/hexz
rm -rf "$DIR" && mkdir -p "$DIR/src/small" "$DIR/mnt-hexz" "$DIR/mnt-sq"
cd "$DIR"
python3 "$ROOT/bench/gen_data.py" mixed src/large.img --size "$SIZE" >/dev/null
python3 - <<'PY'
import os, random
r = random.Random(7)
words = b"the quick brown fox jumps over a lazy dog while hexz mounts archives".split()
for i in range(3000):
    d = "src/small/d%02d" % (i // 100)
    os.makedirs(d, exist_ok=True)
    n = r.randrange(200, 16384)
    body = b" ".join(r.choice(words) for _ in range(n // 5))[:n]
    open("%s/f%04d.txt" % (d, i), "wb").write(body)
PY
"$HEXZ" pack src -o data.hxz -q
mksquashfs src data.sqsh -comp lz4 -b 131072 -noappend -quiet >/dev/null

drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && echo dropped || echo warm; }
cleanup() {
    fusermount3 -u mnt-hexz 2>/dev/null || true
    fusermount3 -u mnt-sq 2>/dev/null || true
}
trap cleanup EXIT
"$HEXZ" mount data.hxz mnt-hexz
squashfuse data.sqsh mnt-sq
for i in $(seq 50); do [ -f mnt-hexz/large.img ] && [ -f mnt-sq/large.img ] && break; sleep 0.1; done

cat > randread.py <<'PY'
import os, random, sys, time
path, n = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
r = random.Random(1)
offs = [r.randrange(0, size - 4096) for _ in range(n)]
lat = []
for o in offs:
    t = time.perf_counter(); os.pread(fd, 4096, o); lat.append(time.perf_counter() - t)
lat.sort()
print("%.1f %.1f %.0f" % (lat[len(lat) // 2] * 1e6, lat[len(lat) * 99 // 100] * 1e6, n / sum(lat)))
PY

echo "| measure | hexz mount | squashfuse |"
echo "|---|---:|---:|"
for m in hexz sq; do
    state=$(drop)
    t0=$(date +%s.%N); tar -C "mnt-$m" -cf - . | wc -c >/dev/null; t1=$(date +%s.%N)
    eval "seq_$m=\$(awk \"BEGIN{printf \\\"%.2f s\\\", $t1-$t0}\")"
    drop >/dev/null
    eval "cold_$m=\"\$(python3 randread.py mnt-$m/large.img $READS)\""
    eval "warm_$m=\"\$(python3 randread.py mnt-$m/large.img $READS)\""
done
total=$(du -sb src | cut -f1)
echo "| read every file (tar, $total bytes, cache: $state) | $seq_hexz | $seq_sq |"
set -- $cold_hexz; h1=$1 h2=$2 h3=$3; set -- $cold_sq
echo "| $READS random 4 KiB preads, first pass: p50 / p99 µs, reads/s | $h1 / $h2, $h3 | $1 / $2, $3 |"
set -- $warm_hexz; h1=$1 h2=$2 h3=$3; set -- $warm_sq
echo "| same offsets again (kernel page cache warm): p50 / p99 µs, reads/s | $h1 / $h2, $h3 | $1 / $2, $3 |"
echo
echo "archive sizes: data.hxz $(stat -c %s data.hxz) bytes, data.sqsh $(stat -c %s data.sqsh) bytes"
