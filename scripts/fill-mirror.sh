#!/usr/bin/env bash
# Fills a local source mirror from Debian's source packages, for offline and air-gapped builds
# (and for this project's end-to-end tests, since upstream URLs are out of reach here).
#
#   scripts/fill-mirror.sh [MIRROR_DIR]      (default: ${R_LAMBDA_LAYER_HOME:-~/.cache/r-lambda-layer}/mirror)
#
# It writes:
#   MIRROR_DIR/src/*.orig.tar.*         upstream tarballs as Debian ships them (some repacked: +dfsg)
#   MIRROR_DIR/cran/src/contrib/        a CRAN-like repository (PACKAGES written by tools::write_PACKAGES)
#   MIRROR_DIR/overrides.txt            one per-stage source override per line, for `build --overrides-file`
#   MIRROR_DIR/r-version                the R version of the r-base tarball
# Debian's tarballs differ from upstream's (repacks, R-patched snapshots), so their sums cannot be the pinned
# upstream ones: the sums in overrides.txt are computed here, from what apt verified against Debian's signed index.
set -euo pipefail

mirror=${1:-${R_LAMBDA_LAYER_HOME:-$HOME/.cache/r-lambda-layer}/mirror}
mkdir -p "$mirror/src" "$mirror/cran/src/contrib"
mirror=$(cd "$mirror" && pwd)

# stage name, Debian source package
stages="zlib:zlib openssl:openssl curl:curl bzip2:bzip2 xz:xz-utils pcre2:pcre2 libxml2:libxml2 R:r-base"
# CRAN packages: the runtime's jsonlite, and two with native code that link our libxml2 and libcurl
cran="r-cran-jsonlite r-cran-xml2 r-cran-curl"

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT

fetch() { # $1 = Debian source package; leaves its *.orig.tar.* in $dl
  local pkg=$1
  if ls "$dl"/"${pkg}"_*.orig.tar.* >/dev/null 2>&1; then return 0; fi
  # The archive snapshot often lacks the .dsc or .debian.tar.xz (exit 100) while the orig tarball,
  # all a build needs, did arrive: judge by the file, not the exit code.
  (cd "$dl" && apt-get source --download-only "$pkg" >"$dl/$pkg.log" 2>&1) || true
  if ! ls "$dl"/"${pkg}"_*.orig.tar.* >/dev/null 2>&1; then
    echo "fill-mirror: no upstream tarball for Debian source package '$pkg'." >&2
    echo "  Is deb-src enabled? Run scripts/install-test-deps.sh first. apt said:" >&2
    tail -n 5 "$dl/$pkg.log" >&2
    exit 1
  fi
}

: >"$mirror/overrides.txt.tmp"
for pair in $stages; do
  stage=${pair%%:*} pkg=${pair#*:}
  fetch "$pkg"
  file=$(find "$dl" -maxdepth 1 -name "${pkg}_*.orig.tar.*" | sort | head -n 1)
  base=$(basename "$file")
  cp "$file" "$mirror/src/$base"
  # version: between "_" and ".orig", without Debian's repack suffixes (+dfsg, .dfsg) and R's snapshot date
  version=${base#*_}; version=${version%%.orig.tar.*}; version=${version%%+*}; version=${version%.dfsg}
  if [ "$stage" = R ]; then version=$(echo "$version" | cut -d. -f1-3); echo "$version" >"$mirror/r-version"; fi
  sum=$(sha256sum "$mirror/src/$base" | cut -d' ' -f1)
  echo "$stage=file://$mirror/src/$base,sha256=$sum,version=$version" >>"$mirror/overrides.txt.tmp"
done
mv "$mirror/overrides.txt.tmp" "$mirror/overrides.txt"

for pkg in $cran; do
  fetch "$pkg"
  file=$(find "$dl" -maxdepth 1 -name "${pkg}_*.orig.tar.*" | sort | head -n 1)
  work=$(mktemp -d)
  tar -xf "$file" -C "$work"
  desc=$(find "$work" -maxdepth 2 -name DESCRIPTION | head -n 1)
  dir=$(dirname "$desc")
  name=$(sed -n 's/^Package:[[:space:]]*//p' "$desc" | tr -d '[:space:]')
  ver=$(sed -n 's/^Version:[[:space:]]*//p' "$desc" | tr -d '[:space:]')
  # CRAN's layout: NAME_VERSION.tar.gz holding NAME/ (Debian's repack may name the folder differently)
  if [ "$(basename "$dir")" != "$name" ]; then mv "$dir" "$work/$name"; fi
  tar -czf "$mirror/cran/src/contrib/${name}_${ver}.tar.gz" -C "$work" "$name"
  rm -rf "$work"
done
Rscript --vanilla -e "tools::write_PACKAGES('$mirror/cran/src/contrib', type = 'source')"

echo "fill-mirror: $mirror"
ls -l "$mirror/src" "$mirror/cran/src/contrib"
cat "$mirror/overrides.txt"
