#!/usr/bin/env bash
# Installs the Debian packages hexz needs to build and test, and only those that are missing.
# Safe to run repeatedly: with everything present it does nothing and touches no network.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  liblz4-dev libzstd-dev libsodium-dev libxxhash-dev librust-blake3-dev
  libcmocka-dev
  libfuse3-dev fuse3
  b3sum xxhash lz4 zstd
  libcurl4-openssl-dev  # remote archives (http://, https://, s3://)
  nginx-light           # tests/unit/test_remote.c serves archives over loopback HTTP; its S3
                        # server comes from npm (tests/remote/setup-s3rver.sh, at test time)
  valgrind              # scripts/memcheck.sh (CI)
  clang libclang-rt-14-dev  # fuzz/run-fuzzers.sh: libFuzzer (CI, make fuzz)
  clang-format clang-tidy   # scripts/format.sh, scripts/check-format.sh (CI); .clang-tidy
  debhelper lintian         # scripts/build-deb.sh: dpkg-buildpackage of debian/ (dpkg-dev comes
                            # with build-essential; Rules-Requires-Root: no needs no fakeroot)
)
# bench/bench_remote.sh also compares with qemu-utils, qemu-block-extra and casync if present:
# they are not installed here (apt-get install them by hand to run that comparison).

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
