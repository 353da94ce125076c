#!/usr/bin/env bash
# Makes a minimal root file system (glibc, coreutils, a shell and little else): the nearest thing on a Debian or
# Ubuntu machine to Lambda's bare provided.al2023 image. The end-to-end tests unpack the layers into its /opt and run
# the runtime in it with chroot, so a library missing from the layers cannot hide behind the build host's.
#
#   scripts/make-rootfs.sh [DIR]   (default: ${R_LAMBDA_LAYER_HOME:-~/.cache/r-lambda-layer}/rootfs-CODENAME)
#
# Prints the folder. Once made, it is reused (a run takes a minute or two); a half-made one is never left in DIR.
# Needs root and debootstrap (scripts/install-test-deps.sh installs it).
set -euo pipefail

# shellcheck disable=SC1091 # the host's own file
. /etc/os-release
codename=${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}
dir=${1:-${R_LAMBDA_LAYER_HOME:-$HOME/.cache/r-lambda-layer}/rootfs-$codename}
if [ -x "$dir/bin/sh" ] && [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "make-rootfs: debootstrap and chroot need root." >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "make-rootfs: debootstrap is missing; run scripts/install-test-deps.sh (or apt-get install debootstrap)." >&2
  exit 1
}

# The archive this machine's apt uses (the first non-security URI of its sources), so it works where apt works.
archive=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1 || true)
[ -n "$archive" ] || archive=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true)
[ -n "$archive" ] || archive=http://deb.debian.org/debian

tmp="$dir.part"
rm -rf "$tmp"
mkdir -p "$(dirname "$dir")"
echo "make-rootfs: debootstrap --variant=minbase $codename from $archive" >&2
if ! debootstrap --variant=minbase "$codename" "$tmp" "$archive" >"$tmp.log" 2>&1; then
  echo "make-rootfs: debootstrap failed; last lines of $tmp.log:" >&2
  tail -n 20 "$tmp.log" >&2
  rm -rf "$tmp"
  exit 1
fi
# The programs the tests run inside: the runtime needs sh, sed, dirname (coreutils) and nothing else;
# ldd (libc-bin) checks the layers' libraries as that root resolves them.
for tool in bin/sh bin/sed usr/bin/dirname usr/bin/ldd; do
  [ -e "$tmp/$tool" ] || { echo "make-rootfs: $tool is missing from the new root" >&2; rm -rf "$tmp"; exit 1; }
done
touch "$tmp/.complete"
rm -rf "$dir" "$tmp.log"
mv "$tmp" "$dir"
echo "$dir"
