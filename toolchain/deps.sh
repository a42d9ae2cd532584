#!/bin/sh
# deps.sh LIST...: install the Debian packages named in the LISTs that are missing.
# As root it runs apt-get (update first, once); otherwise it prints the exact
# command and fails, so a build never half-runs without its tools.
set -eu
want=$(cat "$@" | sed -e 's/#.*//' | awk 'NF { print $1 }')
missing=
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "qpod: missing Debian packages; as root run: apt-get update && $cmd" >&2
	exit 1
fi
echo "qpod: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
$cmd >&2
