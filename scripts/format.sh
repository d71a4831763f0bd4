#!/usr/bin/env bash
# format.sh - formats every C file we own in place with clang-format and the repository's
# .clang-format (the list: format_files in scripts/format-lib.sh). scripts/check-format.sh
# checks without changing anything; CI (.ci/run) runs that.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/format-lib.sh
need_clang_format format.sh
format_files | xargs -r "$clang_format" -i --style=file
