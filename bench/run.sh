#!/usr/bin/env bash
# bench/run.sh - hexz pack/extract beside lz4, zstd, mksquashfs, casync and borg, in one run.
#
#   bench/run.sh [--size N] [--quick] [--repeat R] [--sets mixed,tree,ext4] [--tools LIST]
#                [--dir DIR] [--files N] [--reads N] [--rss-check SIZE] [--drop-caches]
#                [--nice N | --rt] [--no-install]
#
#   --size N         the mixed image and the ext4 image (K/M/G suffixes; default 256M); the tree
#                    holds --files small files plus 3 large files of N/4 each
#   --quick          size 32M (unless --size), 2000 small files, one repetition, no ext4 image
#   --repeat R       run every timed command R times; the report gives the run with the median
#                    wall time, and the best (shortest) wall time beside it (default 5, 1 with
#                    --quick)
#   --sets LIST      which data sets (default mixed,tree,ext4)
#   --dir DIR        scratch directory for data and outputs (default $BENCH_DIR or
#                    /tmp/hexz-bench); nothing large is written inside the repository
#   --tools LIST     which tools (default hexz,lz4,zstd,squashfs,casync,borg)
#   --files N        small files in the tree (default 20000)
#   --reads N        random reads for bench_read (default 200000)
#   --rss-check SIZE also pack a SIZE mixed image (e.g. 8G) with hexz (lz4 and zstd, cdc, -j 2)
#                    and record peak RSS: the bounded-memory check
#   --drop-caches    drop the page cache (echo 3 > /proc/sys/vm/drop_caches) before every timed
#                    command; by default every run is warm-cache (the input is read once first)
#   --nice N         run every timed command at niceness N (e.g. -10, as root) so that other
#                    processes on the machine disturb the figures less; recorded in the report
#   --rt             run every timed command under SCHED_FIFO (chrt -f 10, as root): on a shared
#                    machine this keeps other processes off the cores while a command runs, so a
#                    2-thread tool really gets 2 cores; use it only with short commands (other
#                    processes get just the 5 % RT throttling leaves them meanwhile)
#   --no-install     do not apt-get missing tools
#
# The data sets stay in DIR/data and are regenerated only when a parameter changes; the tools'
# outputs are removed as soon as they are measured. docs/PERFORMANCE.md has the figures.
#
# Writes $DIR/results.tsv (one line per timed run), $DIR/read.jsonl (bench_read), $DIR/rss.tsv
# and the Markdown report $DIR/report.md (also printed), made by bench/report.py.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
SIZE=""
QUICK=0
REPEAT=""
SETS="mixed,tree,ext4"
TOOLS="hexz,lz4,zstd,squashfs,casync,borg"
DIR=${BENCH_DIR:-/tmp/hexz-bench}
FILES=""
READS=200000
RSS_CHECK=""
DROP=0
INSTALL=1
NICE=""
RT=0
SEED=${HEXZ_BENCH_SEED:-0x5EED2026}

die() { echo "run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --sets) SETS=$2; shift 2 ;;
        --tools) TOOLS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        --reads) READS=$2; shift 2 ;;
        --rss-check) RSS_CHECK=$2; shift 2 ;;
        --drop-caches) DROP=1; shift ;;
        --no-install) INSTALL=0; shift ;;
        --nice) NICE=$2; shift 2 ;;
        --rt) RT=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    SIZE=${SIZE:-32M}; REPEAT=${REPEAT:-1}; FILES=${FILES:-2000}
    [ "$SETS" = "mixed,tree,ext4" ] && SETS="mixed,tree"
fi
SIZE=${SIZE:-256M}; REPEAT=${REPEAT:-5}; FILES=${FILES:-20000}

want() { case ",$TOOLS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
to_bytes() {
    local v=$1 n=${1%[KkMmGgTt]}
    case "$v" in
        *[Kk]) echo $((n << 10)) ;; *[Mm]) echo $((n << 20)) ;;
        *[Gg]) echo $((n << 30)) ;; *[Tt]) echo $((n << 40)) ;; *) echo "$v" ;;
    esac
}
SIZE_B=$(to_bytes "$SIZE")
NICE_CMD=(); [ -z "$NICE" ] || NICE_CMD=(nice -n "$NICE")
[ "$RT" = 0 ] || NICE_CMD=(chrt -f 10)
LARGE_B=$((SIZE_B / 4))

case "$DIR" in "$ROOT"|"$ROOT"/*) die "--dir must be outside the repository ($ROOT)" ;; esac
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
DATA=$DIR/data
OUT=$DIR/out
mkdir -p "$DATA" "$OUT"

# ---- tools -----------------------------------------------------------------------------------
need=()
check() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || need+=("$2"); }
check lz4 lz4; check zstd zstd; check mksquashfs squashfs-tools; check unsquashfs squashfs-tools
check casync casync; check borg borgbackup; check /usr/sbin/mkfs.ext4 e2fsprogs; check /usr/bin/time time
check python3 python3; check cmake cmake; check strace strace
if [ ${#need[@]} -gt 0 ]; then
    [ "$INSTALL" = 1 ] || die "missing tools (packages: ${need[*]}); run without --no-install"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "run.sh: installing ${need[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---- build -----------------------------------------------------------------------------------
BUILD=$ROOT/build-bench
echo "run.sh: building hexz (Release) in $BUILD" >&2
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DHEXZ_FUZZ=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target hexz_cli bench_read >/dev/null
HEXZ=$BUILD/hexz
BENCH_READ=$BUILD/bench/bench_read

# ---- the machine -----------------------------------------------------------------------------
CAN_DROP=0
if [ -w /proc/sys/vm/drop_caches ] && sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then CAN_DROP=1; fi
[ "$DROP" = 1 ] && [ "$CAN_DROP" = 0 ] && die "--drop-caches: /proc/sys/vm/drop_caches is not writable here"
{
    echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc	$(nproc)"
    echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel	$(uname -sr)"
    echo "mem	$(free -g | awk '/^Mem:/{print $2 " GiB"}')"
    echo "loadavg	$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "git	$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src cli include 2>/dev/null || echo ' (+ uncommitted changes in src/cli/include)')"
    echo "command	bench/run.sh --size $SIZE --repeat $REPEAT --sets $SETS --tools $TOOLS --files $FILES --reads $READS${RSS_CHECK:+ --rss-check $RSS_CHECK}$([ "$DROP" = 1 ] && echo ' --drop-caches')${NICE:+ --nice $NICE}$([ "$RT" = 1 ] && echo ' --rt')$([ "$QUICK" = 1 ] && echo ' --quick')"
    echo "scheduling	$([ "$RT" = 1 ] && echo 'timed commands under SCHED_FIFO (chrt -f 10): other processes kept off the cores' || echo "normal${NICE:+, nice $NICE}; other processes share the cores (see the load column)")"
    echo "cache	$([ "$DROP" = 1 ] && echo 'page cache dropped before every timed command' || echo "warm page cache (input read before each command); drop_caches permitted here: $([ "$CAN_DROP" = 1 ] && echo yes || echo no)")"
    echo "repeat	$REPEAT"
    for t in lz4 zstd mksquashfs casync borg; do
        case $t in
            lz4) v=$(lz4 --version 2>&1 | grep -o 'v[0-9.]*' | head -1) ;;
            zstd) v=$(zstd --version 2>&1 | grep -o 'v[0-9.]*' | head -1) ;;
            mksquashfs) v=$(mksquashfs -version 2>&1 | head -1 | awk '{print $3}') ;;
            casync) v=$(casync --version 2>&1 | head -1 | awk '{print $2}') ;;
            borg) v=$(borg --version 2>&1 | awk '{print $2}') ;;
        esac
        echo "tool	$t $v"
    done
} > "$DIR/machine.tsv"
cat "$DIR/machine.tsv" >&2

# ---- data sets -------------------------------------------------------------------------------
gen() { # KIND PATH ARGS... ; regenerated only when the parameters change
    local kind=$1 path=$2; shift 2
    local stamp="$path.params" want="$kind $* seed=$SEED v1"
    if [ -e "$path" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    rm -rf "$path" "$stamp"
    echo "run.sh: generating $kind data set $path" >&2
    HEXZ_BENCH_SEED=$SEED python3 "$BENCH/gen_data.py" "$kind" "$path" "$@" >&2
    echo "$want" > "$stamp"
}
IFS=, read -r -a SET_LIST <<< "$SETS"
for s in "${SET_LIST[@]}"; do
    case $s in
        mixed) gen mixed "$DATA/mixed.img" --size "$SIZE_B" ;;
        tree) gen tree "$DATA/tree" --files "$FILES" --large 3 --large-size "$LARGE_B" ;;
        ext4) gen ext4 "$DATA/ext4.img" --size "$SIZE_B" ;;
        *) die "unknown data set $s" ;;
    esac
done

# ---- timing ----------------------------------------------------------------------------------
RESULTS=$DIR/results.tsv
printf 'set\top\ttool\tin_bytes\twall_s\tuser_s\tsys_s\tmaxrss_kb\tout_bytes\tload1\tbest_wall_s\tok\n' > "$RESULTS"
export BORG_BASE_DIR=$OUT/borg-base BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes \
       BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_PASSPHRASE="" BORG_DISPLAY_PASSPHRASE=no

size_of() { du -s --apparent-size -B1 "$1" 2>/dev/null | cut -f1; }
warm() { # reads the input so that every tool starts with it in the page cache
    if [ -d "$1" ]; then tar -cf - -C "$1" . | cat > /dev/null; else cat "$1" > /dev/null; fi
}
prepare_run() {
    sync
    if [ "$DROP" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; else warm "$1"; fi
}

# timed SET OP TOOL IN_BYTES WARM_PATH RESULT_PATH SETUP -- CMD...
# Runs SETUP (untimed), then CMD under /usr/bin/time, REPEAT times; records the median run.
timed() {
    local set=$1 op=$2 tool=$3 inb=$4 warm_path=$5 result=$6 setup=$7; shift 8
    local runs=() i tf=$OUT/time.txt load
    load=$(cut -d' ' -f1 /proc/loadavg) # the 1-minute load average as the command starts
    for ((i = 0; i < REPEAT; i++)); do
        eval "$setup"
        prepare_run "$warm_path"
        if ! "${NICE_CMD[@]}" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" > "$OUT/cmd.log" 2>&1; then
            echo "run.sh: $set $op $tool failed:" >&2; tail -5 "$OUT/cmd.log" >&2
            printf '%s\t%s\t%s\t%s\tNaN\tNaN\tNaN\tNaN\t0\t%s\tNaN\tFAILED\n' "$set" "$op" "$tool" "$inb" "$load" >> "$RESULTS"
            return 1
        fi
        runs+=("$(tail -1 "$tf")")
    done
    local med best
    med=$(printf '%s\n' "${runs[@]}" | sort -n -k1,1 | sed -n "$(((REPEAT + 1) / 2))p")
    best=$(printf '%s\n' "${runs[@]}" | sort -n -k1,1 | head -1 | cut -d' ' -f1)
    local outb=0
    [ "$op" = pack ] && outb=$(size_of "$result")
    read -r w u s m <<< "$med"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\tpending\n' "$set" "$op" "$tool" "$inb" "$w" "$u" "$s" "$m" "$outb" "$load" "$best" >> "$RESULTS"
    printf 'run.sh: %-6s %-7s %-24s %6.2f s  (runs: %s)\n' "$set" "$op" "$tool" "$w" \
        "$(printf '%s ' "${runs[@]}" | awk '{for (i = 1; i <= NF; i += 4) printf "%s ", $i}')" >&2
}
mark() { # mark the last row ok / BAD after checking the extracted copy
    local status=$1
    sed -i '$ s/\tpending$/\t'"$status"'/' "$RESULTS"
}
same() { # ORIGINAL COPY
    if [ -d "$1" ]; then diff -r --no-dereference "$1" "$2" > /dev/null 2>&1; else cmp -s "$1" "$2"; fi
}
check_copy() { if same "$1" "$2"; then mark ok; else mark BAD; echo "run.sh: $2 differs from $1" >&2; fi; }

bench_set() {
    local set=$1 in=$2 inb name parent
    inb=$(size_of "$in")
    [ -d "$in" ] && inb=$(find "$in" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    name=$(basename "$in"); parent=$(dirname "$in")
    local o=$OUT/$set r=$OUT/$set.restore
    rm -rf "$o" "$r"; mkdir -p "$o"
    local isdir=0; [ -d "$in" ] && isdir=1

    # hexz: both codecs, both chunkings, 1 and 2 threads; the archive's bytes do not depend on -j,
    # so extract is timed once per codec and chunking.
    local c k j
    want hexz && for c in lz4 zstd; do
        for k in fixed cdc; do
            for j in 1 2; do
                timed "$set" pack "hexz $c $k -j$j" "$inb" "$in" "$o/h-$c-$k.hxz" "rm -f $o/h-$c-$k.hxz" -- \
                    "$HEXZ" pack "$in" -o "$o/h-$c-$k.hxz" -q --force --compression "$c" --chunking "$k" -j "$j" || true
                mark ok
            done
            timed "$set" extract "hexz $c $k" "$inb" "$o/h-$c-$k.hxz" "$r" "rm -rf $r" -- \
                "$HEXZ" extract "$o/h-$c-$k.hxz" -o "$r" && check_copy "$in" "$r"
            rm -rf "$r"
            [ "$k" = cdc ] || rm -f "$o/h-$c-$k.hxz"
        done
    done

    # lz4 / zstd: a single file directly, a tree as a tar stream.
    local spec tool args ext
    for spec in "lz4 -1|lz4|-1|lz4" "zstd -3|zstd|-3 -T1|zst" "zstd -3 -T2|zstd|-3 -T2|zst" "zstd -1 -T2|zstd|-1 -T2|zst"; do
        IFS='|' read -r tool_name tool args ext <<< "$spec"
        want "$tool" || continue
        local f=$o/peer.$ext
        if [ $isdir = 0 ]; then
            local o_in=(-o "$f") o_ex=(-o "$r")
            if [ "$tool" = lz4 ]; then o_in=("$f"); o_ex=("$r"); fi # lz4 takes the output as an operand
            timed "$set" pack "$tool_name" "$inb" "$in" "$f" "rm -f $f" -- $tool $args -q -f "$in" "${o_in[@]}" && mark ok
            timed "$set" extract "$tool_name" "$inb" "$f" "$r" "rm -f $r" -- $tool -d -q -f "$f" "${o_ex[@]}" && check_copy "$in" "$r"
        else
            timed "$set" pack "tar+$tool_name" "$inb" "$in" "$f" "rm -f $f" -- \
                bash -c "tar -cf - -C '$in' . | $tool $args -q -c > '$f'" && mark ok
            timed "$set" extract "tar+$tool_name" "$inb" "$f" "$r" "rm -rf $r; mkdir -p $r" -- \
                bash -c "$tool -d -q -c '$f' | tar -xf - -C '$r'" && check_copy "$in" "$r"
        fi
        rm -rf "$f" "$r"
    done

    # mksquashfs: lz4 and zstd level 3, 128 KiB blocks, both cores.
    local comp
    want squashfs && for comp in "lz4|-comp lz4" "zstd -3|-comp zstd -Xcompression-level 3"; do
        IFS='|' read -r tool_name args <<< "$comp"
        local f=$o/peer.sqfs
        timed "$set" pack "mksquashfs $tool_name" "$inb" "$in" "$f" "rm -f $f" -- \
            mksquashfs "$in" "$f" -noappend -quiet -no-progress -processors 2 $args && mark ok
        timed "$set" extract "unsquashfs $tool_name" "$inb" "$f" "$r" "rm -rf $r" -- \
            unsquashfs -q -n -f -d "$r" -processors 2 "$f"
        if [ $isdir = 0 ]; then check_copy "$in" "$r/$name"; else check_copy "$in" "$r"; fi
        rm -rf "$f" "$r"
    done

    # casync: default settings (64 KiB average chunks, zstd), a chunk store directory.
    local idx=$o/peer.caibx; [ $isdir = 0 ] || idx=$o/peer.caidx
    if want casync; then
        timed "$set" pack "casync make" "$inb" "$in" "$o/castore" "rm -rf $o/castore $idx" -- \
            casync make --store="$o/castore" "$idx" "$in" && mark ok
        # the index is part of the output
        sed -i '$ s/^\(\([^\t]*\t\)\{8\}\)\([0-9]*\)/\1'"$(( $(size_of "$o/castore") + $(size_of "$idx") ))"'/' "$RESULTS"
        timed "$set" extract "casync extract" "$inb" "$idx" "$r" "rm -rf $r" -- \
            casync extract --store="$o/castore" "$idx" "$r" && check_copy "$in" "$r"
        rm -rf "$o/castore" "$idx" "$r"
    fi

    # borg: a fresh unencrypted repository each time (init untimed), lz4 and zstd,3.
    want borg && for comp in "lz4|lz4" "zstd,3|zstd,3"; do
        IFS='|' read -r tool_name args <<< "$comp"
        local repo=$o/borg
        timed "$set" pack "borg $tool_name" "$inb" "$in" "$repo" \
            "rm -rf $repo $BORG_BASE_DIR; borg init --encryption=none $repo > /dev/null" -- \
            bash -c "cd '$parent' && borg create --compression $args '$repo::a' '$name'" && mark ok
        timed "$set" extract "borg extract ($tool_name)" "$inb" "$repo" "$r" "rm -rf $r; mkdir -p $r" -- \
            bash -c "cd '$r' && borg extract '$repo::a'" && check_copy "$in" "$r/$name"
        rm -rf "$repo" "$r" "$BORG_BASE_DIR"
    done

    # hexz fsyncs its archive (and an extracted file) before renaming it into place; the peers
    # do not. How long those fsyncs take, from one traced run of each default command:
    local tr=$OUT/strace.txt
    want hexz || { rm -rf "$o" "$r"; return 0; }
    sync; warm "$in"
    strace -f -T -e trace=fsync,fdatasync -o "$tr" "$HEXZ" pack "$in" -o "$o/h.hxz" -q --force -j 2 || true
    local fs_pack fs_ext
    fs_pack=$( (grep -o '<[0-9.]*>' "$tr" || true) | tr -d '<>' | awk '{s += $1} END {printf "%.3f", s}')
    rm -rf "$r"; sync
    strace -f -T -e trace=fsync,fdatasync -o "$tr" "$HEXZ" extract "$o/h.hxz" -o "$r" || true
    fs_ext=$( (grep -o '<[0-9.]*>' "$tr" || true) | tr -d '<>' | awk '{s += $1} END {printf "%.3f", s}')
    printf '%s\tfsync\thexz pack lz4 cdc -j2\t%s\t%s\t0\t0\t0\t0\t-\t0\tok\n' "$set" "$inb" "$fs_pack" >> "$RESULTS"
    printf '%s\tfsync\thexz extract lz4 cdc\t%s\t%s\t0\t0\t0\t0\t-\t0\tok\n' "$set" "$inb" "$fs_ext" >> "$RESULTS"

    # Random reads in-process (single-file data sets: the "main" stream).
    if [ $isdir = 0 ]; then
        local a
        for a in lz4 zstd; do
            "$HEXZ" pack "$in" -o "$o/r.hxz" -q --force --compression $a
            "${NICE_CMD[@]}" "$BENCH_READ" "$o/r.hxz" --json --evict --reads "$READS" --cold-reads $((READS / 10)) --raw "$in" |
                sed "s/^{/{\"set\":\"$set\",\"codec\":\"$a\",/" >> "$DIR/read.jsonl"
            echo "run.sh: $set bench_read $a done" >&2
        done
        rm -f "$o/r.hxz"
    fi
    rm -rf "$o" "$r"
}

: > "$DIR/read.jsonl"
for s in "${SET_LIST[@]}"; do
    case $s in
        mixed) bench_set mixed "$DATA/mixed.img" ;;
        tree) bench_set tree "$DATA/tree" ;;
        ext4) bench_set ext4 "$DATA/ext4.img" ;;
    esac
done

# ---- the bounded-memory check ---------------------------------------------------------------
printf 'size\tcodec\twall_s\tuser_s\tsys_s\tmaxrss_kb\tout_bytes\tunique_blocks\n' > "$DIR/rss.tsv"
if [ -n "$RSS_CHECK" ]; then
    RB=$(to_bytes "$RSS_CHECK")
    avail=$(df -B1 --output=avail "$DIR" | tail -1)
    [ "$avail" -gt $((RB * 2)) ] || die "--rss-check $RSS_CHECK needs about twice that free in $DIR"
    gen mixed "$DATA/big.img" --size "$RB"
    for c in lz4 zstd; do
        sync; warm "$DATA/big.img"
        "${NICE_CMD[@]}" /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$HEXZ" pack "$DATA/big.img" -o "$OUT/big.hxz" -q --force --compression $c -j 2
        read -r w u s m < <(tail -1 "$OUT/time.txt")
        ub=$("$HEXZ" inspect --json "$OUT/big.hxz" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("unique_blocks", 0))' 2>/dev/null || echo 0)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RB" "$c" "$w" "$u" "$s" "$m" "$(size_of "$OUT/big.hxz")" "$ub" >> "$DIR/rss.tsv"
        echo "run.sh: rss-check $RSS_CHECK $c: $w s, peak RSS $((m / 1024)) MiB" >&2
        rm -f "$OUT/big.hxz"
    done
fi

python3 "$BENCH/report.py" "$DIR" | tee "$DIR/report.md"
echo "run.sh: report in $DIR/report.md" >&2
