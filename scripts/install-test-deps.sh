#!/usr/bin/env bash
# Installs every system package the test suite needs on Debian/Ubuntu, and enables
# source packages (deb-src) so scripts/fill-mirror.sh can fetch upstream tarballs.
# Safe to run twice.
set -euo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: this script needs apt-get (Debian or Ubuntu)." >&2
  echo "Install by hand: gcc g++ gfortran make perl tar gzip bzip2 xz zip unzip file patch binutils r-base-core r-cran-jsonlite r-cran-testthat shellcheck openssl debootstrap" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# deb-src: add it to the Types: line of deb822 sources (debian.sources, ubuntu.sources), or a deb-src line per
# deb line of a classic sources.list.
deb822=$(find /etc/apt/sources.list.d -maxdepth 1 -name '*.sources' 2>/dev/null || true)
if [ -n "$deb822" ]; then
  for f in $deb822; do
    grep -q '^Types:.*deb-src' "$f" || $SUDO sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
  done
elif [ -f /etc/apt/sources.list ] && ! grep -q '^deb-src' /etc/apt/sources.list; then
  grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee -a /etc/apt/sources.list >/dev/null
fi

# Debian's newer suites as source-only entries (never their binary packages): they carry the current upstream
# releases the recipe pins, several of them byte for byte the upstream file, so the tests can build and verify the
# very versions and sums users get. Signed by the keyring Debian 12 already has.
if [ -f /etc/debian_version ] && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] && grep -qs '^ID=debian' /etc/os-release; then
  archive=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1 || true)
  [ -n "$archive" ] || archive=http://deb.debian.org/debian
  $SUDO tee /etc/apt/sources.list.d/r-lambda-layer-newer-src.sources >/dev/null <<SOURCES
Types: deb-src
URIs: $archive
Suites: trixie forky sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential gcc g++ gfortran make perl tar gzip bzip2 xz-utils zip unzip file patch binutils findutils \
  dpkg-dev ca-certificates openssl debootstrap \
  libreadline-dev zlib1g-dev \
  r-base-core r-cran-jsonlite r-cran-testthat shellcheck >/dev/null
echo "install-test-deps: done"
