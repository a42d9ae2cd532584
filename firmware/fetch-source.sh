#!/bin/sh
# fetch-source.sh CACHE HASHFILE: put the Debian source tarball that
# HASHFILE pins ("sha256 HEX NAME") into CACHE/dl/, checked.
#
# A verified tarball already in the cache is used as is: no network.
# Otherwise apt-get source downloads the package with a private deb-src
# list, lists dir and package cache under CACHE/apt, given to apt only
# through -o options: the system's apt configuration is never touched.
set -eu
cache=$1 hashfile=$2
suite=${QPOD_DEBIAN_SUITE:-bookworm}
mirror=${QPOD_DEBIAN_MIRROR:-http://deb.debian.org}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

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

command -v apt-get >/dev/null || die "apt-get not found (qpod builds on Debian 12)"
[ -r "$keyring" ] || die "$keyring missing (install debian-archive-keyring)"

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/sources.list.d"
cat > "$apt/sources.list" <<EOT
deb-src [signed-by=$keyring] $mirror/debian $suite main
deb-src [signed-by=$keyring] $mirror/debian $suite-updates main
deb-src [signed-by=$keyring] $mirror/debian-security $suite-security main
EOT
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
	-o Dir::Etc::SourceParts="$apt/sources.list.d" \
	-o Dir::State::Lists="$apt/lists" \
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
# As root apt downloads as _apt, which cannot write into a private cache.
[ "$(id -u)" != 0 ] || set -- "$@" -o APT::Sandbox::User=root

log=$dl/fetch.log
# apt-get update exits 0 when an index fails to download; read its log too.
if ! apt-get -q "$@" update > "$log" 2>&1 ||
	grep -q -e '^E:' -e '^W: Failed to fetch' "$log"; then
	die "apt-get update of the private deb-src list failed (no network?), see $log"
fi

uris=$(apt-get -q "$@" source --print-uris "$pkg" 2>> "$log") ||
	die "apt-get source $pkg failed, see $log"
offered=$(printf '%s\n' "$uris" | awk '$2 ~ /\.orig\.tar\./ { print $2; exit }')
[ -n "$offered" ] || die "apt offers no orig tarball for $pkg, see $log"
[ "$offered" = "$name" ] ||
	die "Debian $suite now offers $offered, $hashfile pins $name: update $hashfile"

tmp=$dl/tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get -q "$@" source --download-only "$pkg") >> "$log" 2>&1 ||
	die "apt-get source --download-only $pkg failed (no network?), see $log"
check "$tmp/$name" || die "sha256 mismatch for $name: not the tarball $hashfile pins"
mv "$tmp/$name" "$dst"
