#!/usr/bin/env bash
# setup-s3rver.sh DEST - installs the S3-compatible test server pinned in package-lock.json
# (@20minutes/s3rver, which checks AWS Signature V4 signatures) into DEST/node_modules with
# `npm ci`, unless the same lock file is already installed there. Used by
# tests/unit/test_remote.c, which passes a directory in the build tree; exits non-zero (and the
# S3 tests skip) when npm is missing or the registry cannot be reached within 5 minutes.
set -euo pipefail
dest=$1
src=$(cd "$(dirname "$0")" && pwd)
if [ -f "$dest/node_modules/@20minutes/s3rver/package.json" ] &&
   cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "setup-s3rver: npm not found" >&2; exit 2; }
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2
