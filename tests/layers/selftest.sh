#!/usr/bin/env bash
# selftest.sh - proves that scripts/check-layers.py fails where it should: for each kind of
# violation it builds a small synthetic tree in a temporary directory, runs the checker on it and
# compares its exact output and exit status; a clean tree must pass with no output.
# Usage: selftest.sh [PYTHON]   (CTest: tests/CMakeLists.txt, test check_layers_selftest)
set -euo pipefail
python=${1:-/usr/bin/python3}
checker="$(cd "$(dirname "$0")/../.." && pwd)/scripts/check-layers.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# put TREE PATH [INCLUDE...]: a file PATH in TREE whose lines #include each "INCLUDE".
put()
{
    local tree=$1 path=$2
    shift 2
    mkdir -p "$tmp/$tree/$(dirname "$path")"
    : >"$tmp/$tree/$path"
    for inc in "$@"; do printf '#include "%s"\n' "$inc" >>"$tmp/$tree/$path"; done
}

# A tree every case starts from: one header per level, the public header, a CLI header.
base()
{
    local t=$1
    put "$t" include/hexz.h
    put "$t" src/common/error.h
    put "$t" src/common/error.c common/error.h
    put "$t" src/hash/hash.h common/error.h
    put "$t" src/format/format.h
    put "$t" src/codec/codec.h
    put "$t" src/pack/writer.h hexz.h
    put "$t" src/read/reader.h hexz.h
    put "$t" src/ops/pack_tree.c pack/writer.h read/reader.h hash/hash.h hexz.h
    put "$t" cli/opt.h
    put "$t" cli/main.c hexz.h opt.h blake3.h.missing
}

# expect TREE STATUS: runs the checker on TREE; its stdout must be stdin and its status STATUS.
expect()
{
    local t=$1 want_rc=$2 want got rc=0
    want=$(cat)
    got=$("$python" "$checker" "$tmp/$t" 2>&1) || rc=$?
    if [ "$rc" != "$want_rc" ] || [ "$got" != "$want" ]; then
        echo "FAIL $t: exit $rc (want $want_rc); output:"
        printf '%s\n' "$got"
        echo "--- wanted:"
        printf '%s\n' "$want"
        failures=$((failures + 1))
    else
        echo "ok   $t"
    fi
}

base clean
sed -i '/blake3/d' "$tmp/clean/cli/main.c"
put clean src/common/tmpname.h
put clean src/common/tmpname.c tmpname.h error.h # beside the file, as common/ does
put clean src/hash/blake3_user.c blake3.h          # third-party: found nowhere, not checked
put clean src/read/a.h
put clean src/read/b.h a.h
put clean src/read/a.c a.h b.h
put clean src/read/b.c b.h
expect clean 0 </dev/null

base same_level
sed -i '/blake3/d' "$tmp/same_level/cli/main.c"
put same_level src/format/index.c format/format.h codec/codec.h
expect same_level 1 <<'OUT'
src/format/index.c: includes "codec/codec.h": format (level 2) may not include codec (level 2): the same level
OUT

base higher_level
sed -i '/blake3/d' "$tmp/higher_level/cli/main.c"
put higher_level src/common/bad.c common/error.h hash/hash.h
put higher_level src/read/inspect.c read/reader.h ops/ops.h
put higher_level src/ops/ops.h
expect higher_level 1 <<'OUT'
cycle between folders: common -> hash -> common
cycle between folders: ops -> read -> ops
src/common/bad.c: includes "hash/hash.h": common (level 0) may not include hash (level 1): a higher level
src/read/inspect.c: includes "ops/ops.h": read (level 3) may not include ops (level 4): a higher level
OUT

base cli_private
put cli_private cli/cmd_ls.c hexz.h opt.h common/error.h
expect cli_private 1 <<'OUT'
cli/cmd_ls.c: includes "common/error.h": cli includes only include/hexz.h and its own headers
cli/main.c: includes "blake3.h.missing": cli includes only include/hexz.h and its own headers
OUT

base unknown_folder
sed -i '/blake3/d' "$tmp/unknown_folder/cli/main.c"
put unknown_folder src/fs/extract.c common/error.h
put unknown_folder src/fs/x.h
put unknown_folder src/pack/uses_fs.c fs/x.h
expect unknown_folder 1 <<'OUT'
src/fs/extract.c: includes "common/error.h": src/fs is not in the layer table (give it a level in scripts/check-layers.py)
src/pack/uses_fs.c: includes "fs/x.h": src/fs/x.h is not a header of a folder in the layer table
OUT

base folder_cycle
sed -i '/blake3/d' "$tmp/folder_cycle/cli/main.c"
put folder_cycle src/pack/sign.c pack/writer.h read/reader.h
put folder_cycle src/read/diff.c read/reader.h pack/writer.h
expect folder_cycle 1 <<'OUT'
cycle between folders: pack -> read -> pack
src/pack/sign.c: includes "read/reader.h": pack (level 3) may not include read (level 3): the same level
src/read/diff.c: includes "pack/writer.h": read (level 3) may not include pack (level 3): the same level
OUT

base header_cycle
sed -i '/blake3/d' "$tmp/header_cycle/cli/main.c"
put header_cycle src/read/cache.h read/pages.h
put header_cycle src/read/pages.h open.h
put header_cycle src/read/open.h read/cache.h
expect header_cycle 1 <<'OUT'
cycle between files of src/read: cache.h -> pages.h -> open.h -> cache.h
OUT

base source_cycle
sed -i '/blake3/d' "$tmp/source_cycle/cli/main.c"
put source_cycle src/read/reader_open.h
put source_cycle src/read/prefetch.h
put source_cycle src/read/reader_pages.h
put source_cycle src/read/reader_open.c reader_open.h prefetch.h
put source_cycle src/read/prefetch.c prefetch.h reader_pages.h
put source_cycle src/read/reader_pages.c reader_pages.h read/reader_open.h
expect source_cycle 1 <<'OUT'
cycle between files of src/read: prefetch.c -> reader_pages.c -> reader_open.c -> prefetch.c
OUT

rc=0
"$python" "$checker" --help >/dev/null 2>&1 || rc=$?
if [ "$rc" = 2 ]; then echo "ok   usage error"; else echo "FAIL usage error: exit $rc (want 2)"; failures=$((failures + 1)); fi

if [ "$failures" -ne 0 ]; then
    echo "selftest: $failures case(s) failed"
    exit 1
fi
echo "selftest: all cases passed"
