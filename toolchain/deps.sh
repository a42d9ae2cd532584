#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# deps.sh LIST...: install the Debian packages named in the LISTs that are missing.
# As root it runs apt-get (update first, once); otherwise it prints the exact
# command and fails, so a build never half-runs without its tools. A package
# of another architecture (PKG:ARCH) needs dpkg to know ARCH: as root this adds
# it (dpkg --add-architecture) before the update.
set -eu
want=$(cat "$@" | sed -e 's/#.*//' | awk 'NF { print $1 }')
missing=
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
arches=
for p in $missing; do
	case $p in *:*)
		a=${p#*:}
		[ "$a" = "$(dpkg --print-architecture)" ] || dpkg --print-foreign-architectures | grep -qx "$a" ||
			arches="$arches $a" ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	add=
	for a in $arches; do add="${add}dpkg --add-architecture $a && "; done
	echo "qpod: missing Debian packages; as root run: ${add}apt-get update && $cmd" >&2
	exit 1
fi
for a in $arches; do dpkg --add-architecture "$a"; done
echo "qpod: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
$cmd >&2
