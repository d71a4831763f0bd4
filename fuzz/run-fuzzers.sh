#!/usr/bin/env bash
# run-fuzzers.sh - builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan into
# build-fuzz/ and runs each for a fixed time on its corpus; fails on the first crash, leak,
# timeout or broken invariant. Used by `make fuzz` (long runs) and by CI (short runs).
#
#   fuzz/run-fuzzers.sh SECONDS [TARGET...]
#
# Each target's working corpus lives in build-fuzz/fuzz/work/<target>/ and is kept between runs;
# it starts from the generated seeds (build-fuzz/fuzz/corpus/<target>/) and the checked-in
# regression inputs (fuzz/regressions/<target>/). A crashing input is written to
# build-fuzz/fuzz/artifacts/<target>/; copy it into fuzz/regressions/<target>/ once the bug is
# fixed, so that `make check` replays it for ever. Environment: BUILD (default build-fuzz),
# JOBS (build parallelism), FUZZ_FLAGS (extra libFuzzer flags), NO_BUILD=1 (run what is built,
# e.g. when several runs share one build directory).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
ALL_TARGETS=(fuzz_header fuzz_index fuzz_manifest fuzz_codec fuzz_cdc fuzz_open_read fuzz_roundtrip
    fuzz_encrypted fuzz_keyfile fuzz_password_file)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

BUILD=${BUILD:-build-fuzz}
JOBS=${JOBS:-$(nproc)}
CC_FUZZ=${CC_FUZZ:-$(command -v clang || command -v clang-14 || true)}
if [[ -z $CC_FUZZ ]]; then
    echo "run-fuzzers: clang is needed for libFuzzer" >&2
    exit 1
fi

if [[ -z ${NO_BUILD:-} ]]; then
    echo "== building libFuzzer targets in $BUILD with $CC_FUZZ"
    cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHEXZ_WERROR=ON -DHEXZ_SANITIZE=ON -DHEXZ_LIBFUZZER=ON -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" hexz_fuzz_corpus
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
dict=fuzz/hexz.dict
status=0
summary=()
for t in "${targets[@]}"; do
    work=$BUILD/fuzz/work/$t
    art=$BUILD/fuzz/artifacts/$t
    mkdir -p "$work" "$art"
    corpora=("$work" "$BUILD/fuzz/corpus/$t")
    [[ -d fuzz/regressions/$t ]] && corpora+=("fuzz/regressions/$t")
    log=$BUILD/fuzz/$t.log
    echo "== $t: ${seconds}s (log: $log)"
    # -timeout: one input taking longer is a finding (a denial of service), not a hang of CI.
    # shellcheck disable=SC2086
    if "$BUILD/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
        -malloc_limit_mb=2048 -dict="$dict" -print_final_stats=1 -artifact_prefix="$art/" \
        ${FUZZ_FLAGS:-} "${corpora[@]}" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        size=$(find "$work" -type f | wc -l)
        summary+=("$(printf '%-16s ok    %10s execs  cov %6s  corpus %5s' "$t" "${execs:-?}" "${cov:-?}" "$size")")
    else
        status=1
        summary+=("$(printf '%-16s FAIL  see %s; inputs in %s' "$t" "$log" "$art")")
        grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -20 || true
    fi
done
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
