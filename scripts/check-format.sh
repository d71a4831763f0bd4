#!/usr/bin/env bash
# check-format.sh - exits 0 when every C file we own (format_files, scripts/format-lib.sh) is as
# clang-format and .clang-format would write it; otherwise lists the files that are not, one a
# line, with the number of lines clang-format would change in each, and exits 1
# (scripts/format.sh fixes them).
# Exit 2 when clang-format is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/format-lib.sh
need_clang_format check-format.sh
# The .clang-format is tuned for clang-format 14 (Debian 12); other versions may disagree.
version=$("$clang_format" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$version" != 14 ]; then
    echo "check-format.sh: note: $clang_format is version ${version:-unknown}, not 14" >&2
fi
bad=0
while IFS= read -r f; do
    changed=$("$clang_format" --style=file "$f" | diff -- "$f" - | grep -c '^[<>]' || true)
    if [ "$changed" -ne 0 ]; then
        echo "$f: not formatted ($changed lines would change)"
        bad=$((bad + 1))
    fi
done < <(format_files)
if [ "$bad" -ne 0 ]; then
    echo "check-format.sh: $bad file(s) not formatted; run scripts/format.sh" >&2
    exit 1
fi
