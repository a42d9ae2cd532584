#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# debunpack.sh PKG ARCH DL DIR: Debian's package PKG built for ARCH,
# unpacked into DIR (replaced whole), for a package that cannot be
# installed beside the host's own (busybox-static is not Multi-Arch).
#
# apt-get download fetches apt's candidate version (checked against the
# archive's signed lists; dpkg must know ARCH: make deps adds it) into DL,
# named by version: a rebuild of the same version needs no network.
set -eu
pkg=$1 arch=$2 dl=$3 dir=$4

die() { echo "qpod: $pkg:$arch: $*" >&2; exit 1; }

ver=$(apt-cache policy "$pkg:$arch" 2>/dev/null | sed -n 's/^  Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "not in apt's lists (make deps adds the $arch architecture)"
deb=$dl/${pkg}_$(printf '%s' "$ver" | tr ':' '%')_$arch.deb
mkdir -p "$dl"
if [ ! -f "$deb" ]; then
	tmp=$(mktemp -d "$dl/.get.XXXXXX")
	# As root apt would hand the download to its _apt user, who cannot
	# write into a private cache.
	sandbox=
	[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	(cd "$tmp" && apt-get download -q $sandbox "$pkg:$arch=$ver" >&2) || { rm -rf "$tmp"; die "apt-get download failed"; }
	mv "$tmp"/*.deb "$deb"
	rmdir "$tmp"
fi
rm -rf "$dir" "$dir.tmp"
mkdir -p "$dir.tmp"
dpkg-deb -x "$deb" "$dir.tmp"
mv "$dir.tmp" "$dir"
