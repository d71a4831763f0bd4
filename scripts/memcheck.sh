#!/usr/bin/env bash
# Runs the unit tests under valgrind's memcheck: any invalid read or write, use of uninitialised
# memory or leak fails the run. Tests whose point is volume (gigabytes of sparse input, millions
# of blocks) are left to the sanitizer build, which checks the same code paths far faster.
# Usage: scripts/memcheck.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: scripts/memcheck.sh BUILD_DIR}
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed" >&2; exit 1; }

heavy=" test_limits test_roundtrip test_pipeline test_crash_kill test_encrypt test_predict test_races "
failed=0 passed=0 skipped=0
for t in "$build"/tests/test_*; do
  name=$(basename "$t")
  case "$heavy" in *" $name "*) continue ;; esac
  case "$name" in test_cli*|test_mount|test_remote) continue ;; esac # processes, servers, FUSE
  log="$build/memcheck-$name.log"
  rc=0
  timeout 900 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    "$t" >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  elif [ "$rc" -eq 77 ]; then # tests/testskip.c: no failure, some test skipped
    skipped=$((skipped + 1))
    echo "memcheck: $name skipped a test (see $log)" >&2
  else
    failed=$((failed + 1))
    echo "memcheck: $name failed (see $log)" >&2
    tail -30 "$log" >&2
  fi
done
echo "memcheck: $passed passed, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
