#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# stock.sh META IMAGES OUTDIR MODULE...: a boot image dir for the runner
# (QPOD_IMAGES=OUTDIR) that boots Debian's stock kernel package META
# (linux-image-amd64, linux-image-cloud-amd64) with SeaBIOS instead of qpod's
# kernel and qboot, on the same command path: same runner, hyperstart,
# protocol, 9p share and overlay (it boots cold, so the runner shares the
# image over 9p). It is the bench's baseline.
#
#   OUTDIR/vmlinuz     the kernel META depends on, unpacked from its .deb
#                      (apt-get download, once: kept in CACHE/META/)
#   OUTDIR/initrd.img  test/bench/modinit.c as /init: loads the MODULEs and
#                      what they depend on (each .ko's modinfo "depends"),
#                      leaving out those built into this kernel, then execs
#                      hyperstart, taken from IMAGES/initrd.img
#   OUTDIR/qboot.rom   SeaBIOS (/usr/share/seabios/bios-256k.bin): the runner
#                      boots whatever firmware the images dir calls qboot.rom
#   OUTDIR/vm.conf     IMAGES/vm.conf with machine=pc: ACPI on, as stock has it
#   OUTDIR/cmdline     console=ttyS0 quiet panic=-1: none of qpod's options
#
# CACHE is $QPOD_BUILD_CACHE/bench (default ~/.cache/qpod-build/bench). The
# unpacked kernel and modules are kept there per package version, so a rerun
# only rebuilds the initrd (hyperstart may have changed). Prints the kernel
# package and its version. Needs dpkg-deb, apt-get, objcopy, cpio, gzip,
# musl-gcc and cc (mkcpio); a module missing from the package is an error.
set -euo pipefail
meta=$1 images=$2 out=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${QPOD_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qpod-build}/bench/$meta
die() { echo "stock.sh: $*" >&2; exit 1; }

pkg_of() { apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'; }
pkg=$(pkg_of)
if [ -z "$pkg" ]; then
	apt-get update -qq >&2 || true
	pkg=$(pkg_of)
fi
[ -n "$pkg" ] || die "apt cannot resolve $meta to a kernel package"
ver=$(apt-cache show "$pkg" | sed -n 's/^Version: //p' | head -n 1)
mkdir -p "$cache"
deb=$cache/${pkg}_${ver}_amd64.deb
if [ ! -f "$deb" ]; then
	rm -f "$cache"/*.deb
	(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
		die "apt-get download $pkg=$ver failed"
	[ -f "$deb" ] || die "apt-get download did not leave $deb"
fi

# unpack PATTERN...: those paths of the package into $x (one pass over the .deb)
x=$cache/$pkg-$ver
unpack() { dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards "$@"; }
# ko NAME: the path of module NAME in the package listing, or nothing (a
# module's file name may spell its _ as -)
ko() { grep -E "/${1//_/[-_]}\.ko$" "$x.list" | head -n 1 || true; }
# builtin NAME: whether module NAME is built into the kernel
builtin() { grep -qE "/${1//_/[-_]}\.ko$" "$x"/lib/modules/*/modules.builtin; }
# deps FILE: the modules FILE needs, one per line
# (objcopy writes no output to a pipe: the section goes through a file)
deps() {
	local t
	t=$(mktemp)
	objcopy -O binary --only-section=.modinfo "$1" "$t"
	tr '\0' '\n' < "$t" | sed -n 's/^depends=//p' | tr ',' '\n' | sed '/^$/d'
	rm -f "$t"
}

# The stamp names the modules asked for: another set unpacks again (so
# does a stamp from before dependencies were read: "deps 2").
if [ "$(cat "$x/done" 2>/dev/null)" != "deps 2: $*" ]; then
	rm -rf "$x" && mkdir -p "$x"
	dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./||' > "$x.list"
	unpack './boot/vmlinuz-*' './lib/modules/*/modules.builtin'
	# Unpack the wanted modules, read what they depend on, repeat until closed.
	want=" $* " have=" "
	while [ "$want" != "$have" ]; do
		pats=()
		for m in $want; do
			case $have in *" $m "*) continue ;; esac
			builtin "$m" && continue
			p=$(ko "$m")
			[ -n "$p" ] || die "$pkg has no module $m"
			pats+=("./$p")
		done
		have=$want
		[ ${#pats[@]} -eq 0 ] && break
		unpack "${pats[@]}"
		for p in "${pats[@]}"; do
			for d in $(deps "$x/$p"); do
				case $want in *" $d "*) ;; *) want="$want$d " ;; esac
			done
		done
	done
	echo "$want" > "$x/modules"
	echo "deps 2: $*" > "$x/done"
fi

# Load order: a module after everything it depends on (a depth-first walk).
order=()
visit() {
	local m=$1 p d
	case " ${order[*]-} " in *" $m "*) return ;; esac
	builtin "$m" && return
	p=$(ko "$m")
	for d in $(deps "$x/$p"); do visit "$d"; done
	order+=("$m")
}
for m in "$@"; do visit "$m"; done

rm -rf "$out" && mkdir -p "$out"
stage=$out/stage
mkdir -p "$stage"
musl-gcc -static -Os -s -o "$stage/modinit" "$root/test/bench/modinit.c"
cc -O2 -o "$stage/mkcpio" "$root/initrd/mkcpio.c"
(cd "$stage" && zcat "$images/initrd.img" | cpio -i --quiet --to-stdout init > hyperstart)
[ -s "$stage/hyperstart" ] || die "no /init (hyperstart) in $images/initrd.img"
{
	echo "dir /dev 0755"
	echo "nod /dev/console 0600 c 5 1"
	echo "file /init $stage/modinit 0755"
	echo "file /hyperstart $stage/hyperstart 0755"
	echo "dir /modules 0755"
	for m in "${order[@]}"; do
		echo "file /modules/$m.ko $x/$(ko "$m") 0644"
		echo "$m.ko" >> "$stage/order"
	done
	echo "file /modules/order $stage/order 0644"
	for d in mnt proc run sys tmp; do echo "dir /$d 0755"; done
} > "$stage/spec"
touch "$stage/order"
"$stage/mkcpio" "$stage/spec" | gzip -n -1 > "$out/initrd.img"
cp "$x"/boot/vmlinuz-* "$out/vmlinuz"
ln -s /usr/share/seabios/bios-256k.bin "$out/qboot.rom"
sed 's/^machine=.*/machine=pc/' "$images/vm.conf" > "$out/vm.conf"
echo "console=ttyS0 quiet panic=-1" > "$out/cmdline"
rm -rf "$stage"
echo "$pkg $ver"
