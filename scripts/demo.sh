#!/usr/bin/env bash
# demo.sh - packs a generated sample with the hexz CLI and proves it reads back exactly.
#
#   scripts/demo.sh path/to/hexz          (what `make demo` runs)
#
# The sample is made by a seeded generator, so it is the same on every run: a 24 MiB disk-image
# like file (text, a run of zeros, random bytes, a repeat of some of those random bytes) and a
# small directory tree with duplicate files, an empty file, a symlink and a non-ASCII name.
# The demo packs the whole sample as a directory archive and the image alone as a stream
# archive, shows `hexz inspect` and `hexz ls`, runs `hexz verify`, extracts both and compares
# them with the originals (content, types, modes, mtimes), and reads byte ranges back with
# `hexz cat --offset --length`, checked against dd and tail. Any mismatch stops it non-zero.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: scripts/demo.sh HEXZ_BINARY" >&2
  exit 2
fi
if [ ! -x "$1" ] || [ -d "$1" ]; then
  echo "demo: $1 is not an executable (build first: make build)" >&2
  exit 2
fi
HEXZ="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"

work="$(mktemp -d "${TMPDIR:-/tmp}/hexz-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n==> %s\n' "$*"; }
# Shows a command (with the binary's path shortened to "hexz"), then runs it.
show() {
  printf '$'
  printf ' %q' "${@/#"$HEXZ"/hexz}"
}
run() {
  show "$@"
  printf '\n'
  "$@"
}
# run_to FILE COMMAND...: runs the command with its standard output in FILE.
run_to() {
  local out="$1"
  shift
  show "$@"
  printf ' > %s\n' "$out"
  "$@" > "$out"
}
fail() {
  echo "demo: FAILED: $*" >&2
  exit 1
}

run "$HEXZ" version

step "generating the sample in $work/sample (deterministic, seed 20240501)"
python3 - sample <<'PY'
import os, random, sys

root = sys.argv[1]
rng = random.Random(20240501)
MiB = 1 << 20
WORDS = ("archive block chunk stream index page hash root verify dedup hole codec zstd lz4 "
         "snapshot seek manifest extract offset length").split()

def text(n):
    out, line = bytearray(), 0
    while len(out) < n:
        line += 1
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        out += b"%08d %s\n" % (line, words.encode())
    return bytes(out[:n])

def write(rel, data, mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)

random_part = rng.randbytes(8 * MiB)
image = (text(4 * MiB) + bytes(4 * MiB) + random_part + random_part[:4 * MiB]
         + text(4 * MiB - 1234))
write("disk.img", image)

readme, engine, blob = text(20000), text(64 * 1024), rng.randbytes(512 * 1024)
write("tree/docs/readme.txt", readme)
write("tree/docs/r\u00e9sum\u00e9.txt", text(5000))
write("tree/src/engine.c", engine)
write("tree/src/engine-copy.c", engine)
write("tree/src/build.sh", b"#!/bin/sh\nexec make\n", 0o755)
write("tree/data/blob.bin", blob)
write("tree/data/blob-copy.bin", blob, 0o600)
write("tree/data/nested/deeper/blob-again.bin", blob)
write("tree/data/empty", b"")
os.symlink("docs/readme.txt", os.path.join(root, "tree/latest"))

# Fixed mtimes, children before their directories.
for dirpath, dirnames, filenames in os.walk(root, topdown=False):
    for name in filenames + dirnames:
        os.utime(os.path.join(dirpath, name), (1700000000, 1700000000), follow_symlinks=False)
PY
sample_size=$(find sample -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "$sample_size bytes in regular files"

step "packing the sample directory (defaults: FastCDC chunks, lz4, dedup)"
run "$HEXZ" pack sample -o sample.hxz

step "what is in the archive"
run "$HEXZ" inspect sample.hxz
echo
run "$HEXZ" ls -l sample.hxz

step "verifying every byte"
run "$HEXZ" verify sample.hxz

step "extracting and comparing with the original"
run "$HEXZ" extract sample.hxz -o restored
diff -r --no-dereference sample restored || fail "extracted tree differs"
listing() { (cd "$1" && find . -mindepth 1 -printf '%P %y %m %s %T@ %l\n' | LC_ALL=C sort); }
diff <(listing sample) <(listing restored) || fail "types, modes, sizes or mtimes differ"
echo "restored tree identical: content, types, modes, sizes, mtimes, symlink targets"

step "reading byte ranges of one file without extracting"
size=$(stat -c %s sample/disk.img)
offset=12345678
length=1000000
run_to range.hxz.bin "$HEXZ" cat sample.hxz disk.img --offset "$offset" --length "$length"
dd if=sample/disk.img of=range.dd.bin bs=64K iflag=skip_bytes,count_bytes skip="$offset" \
  count="$length" status=none
cmp range.hxz.bin range.dd.bin || fail "hexz cat range differs from dd"
echo "bytes [$offset, $((offset + length))) of disk.img match dd"
run_to tail.hxz.bin "$HEXZ" cat sample.hxz disk.img --offset $((size - 4096))
tail -c 4096 sample/disk.img > tail.ref.bin
cmp tail.hxz.bin tail.ref.bin || fail "hexz cat tail differs from tail -c"
echo "last 4096 bytes of disk.img match tail -c"

step "the image alone as a stream archive (fixed 64K blocks, zstd)"
run "$HEXZ" pack sample/disk.img -o disk.hxz --chunking fixed --block-size 64K --compression zstd
run "$HEXZ" ls -l disk.hxz
run "$HEXZ" verify disk.hxz
run "$HEXZ" extract disk.hxz -o disk.restored
cmp sample/disk.img disk.restored || fail "extracted image differs"
echo "extracted image identical"
run_to stream.hxz.bin "$HEXZ" cat disk.hxz --offset 20M --length 64K
dd if=sample/disk.img of=stream.dd.bin bs=64K iflag=skip_bytes,count_bytes skip=$((20 << 20)) \
  count=65536 status=none
cmp stream.hxz.bin stream.dd.bin || fail "hexz cat of the stream differs from dd"
echo "bytes [20M, 20M+64K) of the stream match dd"

archive_size=$(stat -c %s sample.hxz)
printf '\ndemo OK: %s bytes packed into %s bytes, verified, extracted and read back exactly\n' \
  "$sample_size" "$archive_size"
