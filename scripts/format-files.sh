#!/usr/bin/env bash
# format-files.sh - the C files of our own that .clang-format governs, one path a line, relative
# to the repository root: every tracked .c and .h under src/ cli/ include/ tests/ fuzz/ bench/
# (and examples/ when it exists). Third-party code is not in the repository (BLAKE3 comes from
# Debian's librust-blake3-dev at build time), and fuzz/regressions/ holds inputs, not code.
# Sourced by scripts/format.sh and scripts/check-format.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -- 'src/*.[ch]' 'cli/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' \
    'bench/*.[ch]' 'examples/*.[ch]' | grep -v '^fuzz/regressions/' || true
