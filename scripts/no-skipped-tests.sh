#!/usr/bin/env bash
# no-skipped-tests.sh LOG WHAT - fails when the ctest output saved in LOG lists tests that were
# skipped (ctest's "The following tests did not run:" section: a test program exited 77, see
# tests/testskip.c). Developers' `make check` passes with skips shown; CI, where every
# dependency is installed, runs this after each test run so that a skip cannot hide a test that
# silently stopped running (.ci/run). WHAT names the run in the message.
set -euo pipefail
log=${1:?usage: scripts/no-skipped-tests.sh LOG WHAT}
what=${2:-tests}
mapfile -t skipped < <(sed -n 's/^[[:space:]]*[0-9][0-9]* - \(.*\) (Skipped)$/\1/p' "$log")
if [[ ${#skipped[@]} -gt 0 ]]; then
    echo "ci: $what: ${#skipped[@]} test(s) skipped although CI has every dependency installed: ${skipped[*]}" >&2
    echo "ci: the '[  SKIP    ]' lines of those tests in the log above say what was missing" >&2
    exit 1
fi
echo "ci: $what: no test skipped"
