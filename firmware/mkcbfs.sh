#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkcbfs.sh OUT LIMIT NAME=FILE...: a CBFS flash image holding each FILE as
# a raw, uncompressed CBFS file NAME, as small as fits, at most LIMIT bytes.
#
# qemu wants each pflash unit a non-zero multiple of 4 KiB, and all units
# together at most 8 MiB (hw/i386/pc_sysfw.c); LIMIT is what is left after
# the firmware unit.  Sizes and contents only depend on the inputs, so two
# builds are byte-identical.
set -eu
out=$1 limit=$2
shift 2

die() { echo "qpod: firmware: $*" >&2; exit 1; }
# Debian installs cbfstool in /usr/sbin, which a normal user's PATH lacks.
PATH=$PATH:/usr/sbin:/sbin
command -v cbfstool >/dev/null || die "cbfstool not found (install coreboot-utils)"

# cbfstool 4.15 puts each file as a 64-byte header (name included, up to 39
# bytes) plus data, aligned to 64; the master header and its pointer take
# the top 92 bytes.  Start from that and grow by a sector if it does not fit.
size=92
for arg; do
	name=${arg%%=*} file=${arg#*=}
	[ -f "$file" ] || die "$file missing (needed for $out)"
	[ ${#name} -le 39 ] || die "CBFS name too long: $name"
	size=$(( size + (64 + $(stat -c %s "$file") + 63) / 64 * 64 ))
done
size=$(( (size + 4095) / 4096 * 4096 ))

tmp=$out.tmp
log=$out.log
trap 'rm -f "$tmp"' EXIT
while :; do
	[ "$size" -le "$limit" ] ||
		die "image too big for flash: $out needs $size bytes, the 8 MiB pflash window leaves $limit"
	rm -f "$tmp"
	cbfstool "$tmp" create -m x86 -s "$size" > "$log" 2>&1 || die "cbfstool create failed, see $log"
	fits=1
	for arg; do
		cbfstool "$tmp" add -t raw -n "${arg%%=*}" -f "${arg#*=}" >> "$log" 2>&1 || { fits=; break; }
	done
	[ -z "$fits" ] || break
	size=$(( size + 4096 ))
done
rm -f "$log"
mv "$tmp" "$out"
