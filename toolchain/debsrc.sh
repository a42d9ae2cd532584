#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# debsrc.sh CACHE COMMAND ...: Debian's source packages through apt-get,
# with a private deb-src list (bookworm, bookworm-updates,
# bookworm-security, signed-by debian-archive-keyring) whose lists live in
# CACHE/apt and are given to apt only through -o options: the system's apt
# configuration is never touched. apt checks every download against the
# signed Sources index.
#
#   debsrc.sh CACHE update             fetch the lists (fails clearly without network)
#   debsrc.sh CACHE apt-get ARGS...    apt-get ARGS with the private list
#   debsrc.sh CACHE dsc PKG VERSION DIR
#       Prints "NAME SHA256 fetched|missing URL": the .dsc of source package
#       PKG at VERSION (NAME has the version without its epoch) and its
#       sha256, as the signed index gives them (apt-get source --print-uris),
#       or "NAME - superseded -" (with a warning) if the index no longer has
#       that version; and puts the file in DIR: from
#       CACHE/dl if there and whole, else downloaded by apt-helper, checked
#       against that sha256 and kept in CACHE/dl; "missing" if the mirror
#       did not serve it. Needs current lists (update).
#
# QPOD_DEBIAN_SUITE and QPOD_DEBIAN_MIRROR change suite and mirror. Log: CACHE/dl/debsrc.log.
set -eu
cache=$1 cmd=$2
shift 2
case $cmd in
dsc) [ $# = 3 ] || { echo "usage: debsrc.sh CACHE dsc PKG VERSION DIR" >&2; exit 1; }; pkg=$1 ver=$2 dir=$3; set -- ;;
update) set -- ;;
esac
suite=${QPOD_DEBIAN_SUITE:-bookworm}
mirror=${QPOD_DEBIAN_MIRROR:-http://deb.debian.org}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt=$cache/apt dl=$cache/dl log=$cache/dl/debsrc.log

die() { echo "qpod: debsrc: $*" >&2; exit 1; }

command -v apt-get >/dev/null || die "apt-get not found (qpod builds on Debian 12)"
[ -r "$keyring" ] || die "$keyring missing (install debian-archive-keyring)"
mkdir -p "$apt/lists/partial" "$apt/sources.list.d" "$dl"
cat > "$apt/sources.list" <<EOT
deb-src [signed-by=$keyring] $mirror/debian $suite main
deb-src [signed-by=$keyring] $mirror/debian $suite-updates main
deb-src [signed-by=$keyring] $mirror/debian-security $suite-security main
EOT
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
	-o Dir::Etc::SourceParts="$apt/sources.list.d" \
	-o Dir::State::Lists="$apt/lists" \
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@"
# As root apt downloads as _apt, which cannot write into a private cache.
[ "$(id -u)" != 0 ] || set -- -o APT::Sandbox::User=root "$@"

case $cmd in
update)
	# apt-get update exits 0 when an index fails to download; read its log too.
	if ! apt-get -q "$@" update > "$log" 2>&1 || grep -q -e '^E:' -e '^W: Failed to fetch' "$log"; then
		die "apt-get update of the private deb-src list failed (no network?), see $log"
	fi ;;
apt-get)
	apt-get -q "$@" ;;
dsc)
	name=${pkg}_${ver#*:}.dsc
	# the .dsc's line of the signed index: 'URL' NAME SIZE SHA256:HEX
	line=$(apt-get -q "$@" source --print-uris "$pkg=$ver" 2>> "$log" | awk -v n="$name" '$2 == n { print $1, $4; exit }')
	if [ -z "$line" ]; then
		echo "qpod: debsrc: Debian's index has no $pkg $ver any more (a newer one replaced it: install it, or see snapshot.debian.org)" >&2
		echo "$name - superseded -"
		exit 0
	fi
	url=${line%% *} url=${url#\'} url=${url%\'} sum=${line#* }
	if [ ! -f "$dl/$name" ] || [ "SHA256:$(sha256sum < "$dl/$name" | cut -c1-64)" != "$sum" ]; then
		rm -f "$dl/$name"
		if /usr/lib/apt/apt-helper "$@" download-file "$url" "$dl/$name.tmp" "$sum" >> "$log" 2>&1; then
			mv "$dl/$name.tmp" "$dl/$name"
		else
			rm -f "$dl/$name.tmp"
		fi
	fi
	state=missing
	if [ -f "$dl/$name" ]; then cp "$dl/$name" "$dir/$name"; state=fetched; fi
	echo "$name ${sum#SHA256:} $state $url" ;;
*) die "usage: debsrc.sh CACHE update | apt-get ARGS... | dsc PKG VERSION DIR" ;;
esac
