#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fetch-source.sh CACHE HASHFILE: put the Debian source tarball that
# HASHFILE pins ("sha256 HEX NAME") into CACHE/dl/, checked.
#
# A verified tarball already in the cache is used as is: no network.
# Otherwise apt-get source downloads the package through
# toolchain/debsrc.sh's private deb-src list (CACHE/apt): the system's apt
# configuration is never touched.
set -eu
cache=$1 hashfile=$2

die() { echo "qpod: firmware: $*" >&2; exit 1; }

pin=$(awk '$1 == "sha256" && NF == 3 { print $2, $3; exit }' "$hashfile")
[ -n "$pin" ] || die "$hashfile has no 'sha256 HEX NAME' line"
sum=${pin% *} name=${pin#* }
pkg=${name%%_*}
dl=$cache/dl
dst=$dl/$name

check() { [ -f "$1" ] && [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$sum" ]; }

mkdir -p "$dl"
# One fetch at a time per cache (parallel builds share it).
exec 9> "$dl/.lock"
flock 9
check "$dst" && exit 0
rm -f "$dst"

debsrc=$(cd "$(dirname "$0")/../toolchain" && pwd)/debsrc.sh
log=$dl/debsrc.log
"$debsrc" "$cache" update

uris=$("$debsrc" "$cache" apt-get source --print-uris "$pkg" 2>> "$log") ||
	die "apt-get source $pkg failed, see $log"
offered=$(printf '%s\n' "$uris" | awk '$2 ~ /\.orig\.tar\./ { print $2; exit }')
[ -n "$offered" ] || die "apt offers no orig tarball for $pkg, see $log"
[ "$offered" = "$name" ] ||
	die "Debian ${QPOD_DEBIAN_SUITE:-bookworm} now offers $offered, $hashfile pins $name: update $hashfile"

tmp=$dl/tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$debsrc" "$cache" apt-get source --download-only "$pkg") >> "$log" 2>&1 ||
	die "apt-get source --download-only $pkg failed (no network?), see $log"
check "$tmp/$name" || die "sha256 mismatch for $name: not the tarball $hashfile pins"
mv "$tmp/$name" "$dst"
