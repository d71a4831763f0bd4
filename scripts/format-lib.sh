# format-lib.sh - sourced by scripts/format.sh and scripts/check-format.sh (not run by itself).
#
# format_files: the C files of our own that .clang-format governs, one path a line, relative to
# the repository root: every tracked .c and .h under src/ cli/ include/ tests/ fuzz/ bench/ (and
# examples/ when it exists). Third-party code is not in the repository (BLAKE3 comes from
# Debian's librust-blake3-dev at build time), and fuzz/regressions/ holds inputs, not code.
#
# need_clang_format SCRIPT: sets clang_format ($CLANG_FORMAT, default clang-format), or says it
# is missing, naming SCRIPT, and exits 2.

format_files()
{
    git ls-files -- 'src/*.[ch]' 'cli/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' \
        'bench/*.[ch]' 'examples/*.[ch]' | grep -v '^fuzz/regressions/' || true
}

need_clang_format()
{
    clang_format=${CLANG_FORMAT:-clang-format}
    if ! command -v "$clang_format" >/dev/null 2>&1; then
        echo "$1: $clang_format not found (Debian: apt-get install clang-format, or run scripts/install-deps.sh)" >&2
        exit 2
    fi
}
