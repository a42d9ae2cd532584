#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# host.sh: what qpod needs of the host beyond packages, set by root (make
# deps, make install); as a normal user it does nothing.
#   - the system account qemu runs as when qpod runs as root (runner/vm/jail.h):
#     `qpod`, no login, no home, with 65536 subordinate uids and gids (its
#     VMs' ids 1-65535)
#   - /dev/net/tun open to everyone (0666), as Debian's udev makes it: pasta
#     opens it, as the caller, to give a VM's network namespace its way out
#     (runner/vm/pasta.c); only a holder of CAP_NET_ADMIN over a network
#     namespace can make a tap with it
set -eu
name=qpod
[ "$(id -u)" = 0 ] || exit 0
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	chmod 0666 /dev/net/tun
	echo "qpod: /dev/net/tun is 0666 now, as Debian's udev rules make it" >&2
fi
if ! getent passwd "$name" >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$name"
	echo "qpod: made the system account $name (qemu runs as it under root)" >&2
fi
uid=$(id -u "$name")
has() { # has FILE: NAME or UID owns a range of at least 65536 there
	awk -F: -v n="$name" -v u="$uid" '($1 == n || $1 == u) && $3 >= 65536 { f = 1 } END { exit !f }' "$1" 2>/dev/null
}
has /etc/subuid && has /etc/subgid && exit 0
# The first 65536-aligned range from 100000 up that no entry of either file overlaps.
start=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
	NF >= 3 { s[n] = $2; e[n] = $2 + $3; n++ }
	END {
		for (c = 131072; ; c += 65536) {
			ok = 1
			for (i = 0; i < n; i++) if (c < e[i] && s[i] < c + 65536) ok = 0
			if (ok) { print c; exit }
		}
	}')
usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$name"
echo "qpod: gave $name the ids $start-$((start + 65535)) (/etc/subuid, /etc/subgid)" >&2
