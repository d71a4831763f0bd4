#!/usr/bin/env bash
# build-deb.sh - builds the Debian packages libhexz1, libhexz-dev and hexz (debian/) from a
# clean copy of the tree, checks them with lintian and copies them to OUTDIR.
#
#   scripts/build-deb.sh [OUTDIR]     (default OUTDIR: build-deb/ in the checkout, git-ignored)
#   DEB_BUILD_OPTIONS=nocheck scripts/build-deb.sh    (without the test suite; what CI does)
#
# The tracked files, as they are in the working tree, are copied into a temporary directory,
# so the build neither litters the checkout nor sees its build directories, and `..` of the
# package build (where dpkg-buildpackage writes the .debs) is that temporary directory.
# dpkg-buildpackage -us -uc -b builds unsigned binary packages; with nocheck in
# DEB_BUILD_OPTIONS the nocheck build profile is given too, so the test-only Build-Depends are
# not required. lintian --fail-on error on the .changes fails the script on any lintian error
# (warnings are shown). The last line names OUTDIR; the .debs, .changes and .buildinfo are there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 1 ]; then
  echo "usage: scripts/build-deb.sh [OUTDIR]" >&2
  exit 2
fi
outdir=${1:-build-deb}

bash scripts/install-deps.sh

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${version%-*}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hexz-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src="$tmp/hexz-$upstream"
mkdir "$src"

# Tracked files only; ones deleted in the working tree but not yet in git are left out.
git ls-files -z | while IFS= read -r -d '' f; do
  if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
done | tar --null -T - -cf - | tar -xf - -C "$src"

profiles=()
case " ${DEB_BUILD_OPTIONS:-} " in
  *" nocheck "*) profiles=(-Pnocheck) ;;
esac
jobs=${JOBS:-2}
echo "build-deb: dpkg-buildpackage -us -uc -b -j$jobs ${profiles[*]} in $src" >&2
(cd "$src" && dpkg-buildpackage -us -uc -b "-j$jobs" "${profiles[@]}")

changes=("$tmp"/hexz_"$version"_*.changes)
if [ ! -f "${changes[0]}" ]; then
  echo "build-deb: dpkg-buildpackage wrote no .changes file in $tmp" >&2
  exit 1
fi
echo "build-deb: lintian --fail-on error ${changes[0]##*/}" >&2
lintian --fail-on error "${changes[0]}"

mkdir -p "$outdir"
cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$outdir"/
cd "$outdir"
ls -1 ./*.deb >&2
echo "build-deb: packages in $(pwd)"
