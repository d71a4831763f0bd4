#!/usr/bin/env bash
# format.sh - formats every C file we own in place with clang-format and the repository's
# .clang-format (the list: scripts/format-files.sh). scripts/check-format.sh checks without
# changing anything; CI (.ci/run) runs that.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null 2>&1; then
    echo "format.sh: $clang_format not found (Debian: apt-get install clang-format, or run scripts/install-deps.sh)" >&2
    exit 2
fi
bash scripts/format-files.sh | xargs -r "$clang_format" -i --style=file
