#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kernel.sh: resolve the guest kernel's config, build the kernel, cache both.
#
#   kernel.sh config OUT FRAGMENT... [+ FRAGMENT...]
#       allnoconfig + KCONFIG_ALLCONFIG=(the FRAGMENTs concatenated, in the
#       order given), then olddefconfig. The fragments after a lone + (an
#       external tree's) may set an option to another value than the ones
#       before it (the last wins); fragments on one side of the + never
#       disagree. Every option a fragment sets must come
#       out of kconfig unchanged, or this fails naming the option and fragment,
#       and what Kconfig says keeps it off (kconfig-query.c: the dependency
#       that is off, the select that holds it on, its range).
#       Writes the full resolved .config to OUT (replaced only if it changed).
#   kernel.sh menuconfig EDIT
#       The kernel's menuconfig on the full config EDIT, written back if saved.
#   kernel.sh savefragment OUT EDIT FRAGMENT... [+ FRAGMENT...]
#       OUT gets the fragment that turns the FRAGMENTs' resolved config into
#       EDIT, and only that: checked to resolve to EDIT byte for byte.
#   kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX [KEY_OUT]
#       The kernel for that resolved CONFIG: taken from the cache when its key
#       matches, else built (incrementally) and stored. Copies the bzImage to
#       VMLINUZ, CONFIG to KCONFIG_OUT, the kernel's symbol map to SYSTEM_MAP
#       (the image has no KALLSYMS: this decodes oops addresses) and the same
#       kernel as a stripped ELF to VMLINUX: qemu loads it directly and enters
#       it through its PVH note, with no decompression (docs/performance.md).
#       KEY_OUT gets the cache key (below), one line.
#       An output given as - is not written. $KERNEL_VARIANT (a word) gives
#       the build its own incremental build dir, so that two configs built
#       in turn (the SMP and the uniprocessor kernel) do not rebuild each
#       other from scratch.
#
# The architecture: $KERNEL_ARCH (the kernel's ARCH=, default x86_64),
# $KERNEL_CROSS (CROSS_COMPILE, e.g. aarch64-linux-gnu-; empty for the
# host's), $KERNEL_IMAGE (the boot image the build makes, default
# arch/x86/boot/bzImage; VMLINUZ gets it). Another arch than x86_64 has
# config and build dirs of its own (conf-VER-ARCH, build-...-ARCH); its
# resolved config names it and its compiler, so its key is its own.
#
# Patches: $KERNEL_PATCHES (a list of files, applied in the order given with
# patch -p1) change the source. They are applied to a hard-linked copy of
# the extracted tree (patch replaces each file it changes, so the shared tree
# stays pristine), built in a build dir of its own, and are part of the key.
# They must not touch Kconfig files: configs are resolved in the pristine tree.
#
# The cache ($QPOD_BUILD_CACHE/kernel, outside the repo, survives git clean):
#   src-VER/       linux-source-6.1 VER extracted (renamed into place when whole;
#                  a new VER replaces the old src, conf and build dirs)
#   src-VER+P/     the patched tree for patch set P (sha256 of the patches),
#                  hard links to src-VER but for the files the patches change;
#                  the 3 patch sets used last are kept, with their build dirs
#   conf-VER[-A]/  out-of-tree dir for config resolution only (kconfig tools)
#   build-VER[+P][-A][-V]/ out-of-tree dir for the kernel build (incremental),
#                  per patch set, arch and variant
#   kern-KEY/      bzImage (or Image), vmlinux, config, System.map; KEY = sha256 of the
#                  package version, the build stamp, the patches and the
#                  resolved .config (which names the compiler). The 8 used
#                  last are kept.
#   config.log, build.log   the last run's full output
#   lock           flock: one kernel.sh at a time per cache
#
# Reproducible: user, host, version and timestamp are pinned. The timestamp is
# the source package's own date (its Debian changelog), not the commit time:
# the kernel then depends only on what its cache key names, so a cached
# kernel and a fresh build are the same bytes. KERNEL_BUILD_EPOCH overrides it.
set -eu

die() { echo "kernel: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

: "${QPOD_BUILD_CACHE:?QPOD_BUILD_CACHE is not set}"
pkg=linux-source-6.1
tarball=/usr/src/$pkg.tar.xz
cache=$QPOD_BUILD_CACHE/kernel
ver=$(dpkg-query -W -f='${Version}' $pkg 2>/dev/null) || ver=
if [ -z "$ver" ] || [ ! -f "$tarball" ]; then
	die "$pkg is not installed (run: make deps)"
fi
src=$cache/src-$ver
# Patch files, space-separated (kernel/patches/*.patch: no spaces in paths).
patches=${KERNEL_PATCHES:-}
variant=${KERNEL_VARIANT:-}
case $variant in *[!a-z0-9]*) die "KERNEL_VARIANT must be a lowercase word: $variant" ;; esac
karch=${KERNEL_ARCH:-x86_64} cross=${KERNEL_CROSS:-} kimage=${KERNEL_IMAGE:-arch/x86/boot/bzImage}
case $karch in *[!a-z0-9_]*) die "KERNEL_ARCH must be a word: $karch" ;; esac
asfx=-$karch
[ "$karch" = x86_64 ] && asfx=
for p in $patches; do [ -r "$p" ] || die "cannot read patch $p"; done
# The kernel's make sees none of the calling make's flags or variables.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
kmake() { make -C "$src" ARCH="$karch" CROSS_COMPILE="$cross" LOCALVERSION= "$@"; }

# need_space MIB: fail early and clearly rather than half-way through a build.
need_space() {
	free=$(df -Pk "$cache" | awk 'NR == 2 { print int($4 / 1024) }')
	[ "$free" -ge "$1" ] ||
		die "need $1 MiB free in $cache for the kernel build, have $free MiB"
}

# extract: the source tree, once per package version (1.5 GiB; the trees of
# other versions go). A tree appears only by rename, so an interrupted
# extraction leaves a temp dir, never a half tree.
extract() {
	[ -f "$src/Makefile" ] && return 0
	rm -rf "$cache"/src-* "$cache"/conf-* "$cache"/build-*
	need_space 2048
	echo "kernel: extracting $pkg $ver into $cache (once)" >&2
	mkdir "$cache/src-$ver.tmp"
	tar -xJf "$tarball" -C "$cache/src-$ver.tmp" || die "cannot extract $tarball"
	mv "$cache/src-$ver.tmp/$pkg" "$src"
	rmdir "$cache/src-$ver.tmp"
}

# patched: set $tree and $b, the source tree and build dir of this patch
# set: src-VER and build-VER without patches, else a hard-linked copy of
# src-VER with the patches applied (made once, renamed into place when whole).
patched() {
	tree=$src b=$cache/build-$ver$asfx${variant:+-$variant}
	[ -n "$patches" ] || return 0
	# shellcheck disable=SC2086
	set=$(cat $patches | sha256sum | cut -c1-12)
	tree=$cache/src-$ver+$set b=$cache/build-$ver+$set$asfx${variant:+-$variant}
	if [ ! -f "$tree/Makefile" ]; then
		rm -rf "$tree.tmp"
		echo "kernel: applying $(echo "$patches" | wc -w) patches to a hard-linked copy of $src" >&2
		cp -al "$src" "$tree.tmp"
		for p in $patches; do
			files=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
			for f in $files; do
				case $f in Kconfig*|*/Kconfig*)
					rm -rf "$tree.tmp"; die "$p changes $f: configs are resolved unpatched" ;;
				esac
			done
			patch -d "$tree.tmp" -p1 -s --no-backup-if-mismatch < "$p" ||
				{ rm -rf "$tree.tmp"; die "$p does not apply to $pkg $ver"; }
			# patch writes a new file and renames it: a file it changed
			# must no longer share its inode with the pristine tree.
			for f in $files; do
				[ "$(stat -c %h "$tree.tmp/$f")" = 1 ] ||
					{ rm -rf "$tree.tmp"; die "patch changed $f in place: it is shared with $src"; }
			done
		done
		mv "$tree.tmp" "$tree"
	fi
	touch "$tree"
	# Keep the 3 patch sets used last (a tree is hard links, a build dir ~150 MiB).
	# shellcheck disable=SC2012 # names are VER+hex: ls -t is safe
	ls -dt "$cache/src-$ver+"???????????? | tail -n +4 | while read -r old; do
		rm -rf "$old" "$cache/build-${old#"$cache/src-"}" "$cache/build-${old#"$cache/src-"}"-*
	done
}

# check RESOLVED NBASE FRAGMENT...: every option a fragment sets is in the
# RESOLVED config with that value ("is not set" may also be absent: an option
# whose dependencies are off is off). The last fragment to set an option wins;
# two fragments setting it differently is an error too, unless the later is
# past the first NBASE (an external tree's) and the earlier is not. Prints one line per
# fault, "KEY<TAB>MESSAGE": KEY is the fragment line kconfig-query can explain,
# or - for a conflict between two fragments.
check() {
	resolved=$1 nbase=$2; shift 2
	awk -v resolved="$resolved" -v nbase="$nbase" '
	function opt(line) {
		if (line ~ /^CONFIG_[A-Za-z0-9_]+=/) { sub(/=.*/, "", line); return line }
		if (line ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { split(line, parts, " "); return parts[2] }
		return ""
	}
	BEGIN { while ((getline l < resolved) > 0) if ((o = opt(l)) != "") got[o] = l }
	FNR == 1 { file = FILENAME; top = ++nfile > nbase }
	{
		o = opt($0)
		if (o == "") next
		if (o in want && want[o] != $0 && !(top && !fromtop[o])) {
			printf "-\tkernel: %s from %s conflicts with %s from %s\n", \
				$0, file, want[o], from[o]; bad = 1
		}
		want[o] = $0; from[o] = file; fromtop[o] = top
	}
	END {
		for (o in want) {
			w = want[o]
			if (w ~ /^# / && (!(o in got) || got[o] == w)) continue
			if (!(o in got))
				printf "%s\tkernel: %s from %s is not in the resolved config (unknown, or its dependencies are off)\n", w, w, from[o]
			else if (got[o] != w)
				printf "%s\tkernel: %s from %s resolved to \"%s\" (a dependency or choice overrides it)\n", w, w, from[o], got[o]
			else continue
			bad = 1
		}
		exit bad
	}' "$@"
}

# query why|settable ARG...: kconfig-query's answer about the config dir's
# .config (nothing if it cannot say). Built once per kconfig-query.c
# against the config dir's kconfig objects; run with the variables kbuild
# gives conf (its own self-check refuses to answer from a reading of Kconfig
# that is not conf's).
query() {
	[ $# -gt 1 ] || return 0
	cmd=$1; shift
	IFS=' 	
'
	k=$conf/scripts/kconfig
	why=$conf/kconfig-query-$(sha256sum < "$here/kconfig-query.c" | cut -c1-12)
	if [ ! -x "$why" ]; then
		objs=
		for o in "$k"/*.o; do case $o in */conf.o) ;; *) objs="$objs $o" ;; esac; done
		# shellcheck disable=SC2086 # the cache's paths have no spaces
		gcc -O1 -I"$src/scripts/kconfig" -I"$k" -o "$why.tmp" "$here/kconfig-query.c" $objs \
			>> "$log" 2>&1 && mv "$why.tmp" "$why" || return 0
	fi
	(cd "$conf" && env srctree="$src" ARCH=x86_64 SRCARCH=x86 KERNELVERSION="$(kmake -s kernelversion)" \
		CC=gcc LD=ld NM=nm OBJCOPY=objcopy AR=ar PAHOLE=pahole RUSTC=rustc BINDGEN=bindgen \
		CC_VERSION_TEXT="$(LC_ALL=C gcc --version | head -n 1)" "$why" "$cmd" "$conf/.config" "$@") 2>> "$log" || true
}

# put SRC DST: replace DST only once the copy is whole; DST - is no output.
put() { [ "$2" = - ] || { cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; }; }

# resolve FRAGMENT... [+ FRAGMENT...]: the config dir's .config for these
# fragments; sets $nbase (fragments before the +) and $frags (all of them).
resolve() {
	[ $# -gt 0 ] || die "no config fragments given"
	nbase=0 seen=
	for f; do
		if [ "$f" = + ]; then seen=1; continue; fi
		[ -r "$f" ] || die "cannot read fragment $f"
		[ -n "$seen" ] || nbase=$((nbase + 1))
	done
	frags=$(for f; do [ "$f" = + ] || echo "$f"; done)
	extract
	conf=$cache/conf-$ver$asfx
	mkdir -p "$conf"
	# shellcheck disable=SC2086 # fragment paths have no blanks (make's)
	cat $frags > "$conf/qpod-fragments.config"
	log=$cache/config.log
	{ kmake O="$conf" KCONFIG_ALLCONFIG="$conf/qpod-fragments.config" allnoconfig &&
	  kmake O="$conf" olddefconfig; } > "$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "config failed, full log: $log"; }
}

# checked: check the config dir's .config against $frags; on a fault print
# each, with what Kconfig says of it, and fail.
checked() {
	# shellcheck disable=SC2086
	msgs=$(check "$conf/.config" "$nbase" $frags) && return 0
	tab=$(printf '\t')
	# shellcheck disable=SC2046 # one argument per fault's fragment line
	why=$(IFS='
'; query why $(printf '%s\n' "$msgs" | cut -f1 | grep -v '^-$'))
	printf '%s\n' "$msgs" | sort -t "$tab" -k2 | while IFS=$tab read -r key msg; do
		echo "$msg"
		o=${key#\# }; o=${o%%[= ]*}
		[ "$key" = - ] || printf '%s\n' "$why" | awk -F "$tab" -v o="$o" '$1 == o { print "kernel:   " o ": " $2 }'
	done >&2
	return 1
}

cmd_config() {
	out=$1; shift
	resolve "$@"
	checked || exit 1
	cmp -s "$conf/.config" "$out" 2>/dev/null || put "$conf/.config" "$out"
}

# menuconfig EDIT: the kernel's menuconfig on EDIT (written back when saved).
# mconf is built once under the cache lock (menu-VER); the menu itself runs
# in a copy of that dir with the lock released, however long it stays open.
cmd_menuconfig() {
	edit=$1
	extract
	menu=$cache/menu-$ver
	mkdir -p "$menu"
	kmake O="$menu" build_menuconfig > "$cache/menu.log" 2>&1 ||
		{ tail -n 20 "$cache/menu.log" >&2; die "cannot build menuconfig (is libncurses-dev installed?), see $cache/menu.log"; }
	run=$(mktemp -d "$cache/menu-run.XXXXXX")
	trap 'rm -rf "$run"' EXIT
	trap 'exit 1' HUP INT TERM
	cp -a "$menu/." "$run/"
	cp "$edit" "$run/.config"
	exec 9>&-
	kmake O="$run" menuconfig
	cmp -s "$run/.config" "$edit" || cp "$run/.config" "$edit"
}

# savefragment OUT EDIT FRAGMENT... [+ FRAGMENT...]: OUT becomes the fragment
# that turns the FRAGMENTs' resolved config into EDIT: EDIT's line for each
# option a user can set (kconfig-query settable) whose value differs, but
# no "is not set" line where the resolved config has the option off too and
# no line for an option EDIT no longer has (its dependency went). Checked
# before it is written: the FRAGMENTs + OUT (on top) resolve to EDIT, byte
# for byte, and every fragment's options survive.
cmd_savefragment() {
	out=$1 edit=$2; shift 2
	[ -r "$edit" ] || die "no edited config $edit (make kernel-menuconfig makes one)"
	for f; do
		[ "$(realpath -m "$f")" != "$(realpath -m "$out")" ] ||
			die "$out is one of the fragments: write a new file (the fragment holds only what the others do not)"
	done
	resolve "$@"
	cp "$conf/.config" "$conf/qpod-resolved.config"
	names=$(awk '
	function name(l) {
		if (l ~ /^CONFIG_[A-Za-z0-9_]+=/) { sub(/=.*/, "", l); return substr(l, 8) }
		if (l ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { split(l, p, " "); return substr(p[2], 8) }
		return ""
	}
	NR == FNR { if ((n = name($0)) != "") r[n] = $0; next }
	(n = name($0)) != "" { e[n] = $0 }
	END {
		for (n in e) if (!(n in r) || r[n] != e[n]) print n
		for (n in r) if (!(n in e)) print n
	}' "$conf/qpod-resolved.config" "$edit" | sort -u)
	# shellcheck disable=SC2046 # a lone + or nothing
	set -- "$@" $(case " $* " in *" + "*) ;; *) echo + ;; esac) "$out.tmp"
	: > "$out.tmp"
	# shellcheck disable=SC2086 # option names are words
	for n in $(query settable $names | sort); do
		e=$(grep -E "^(CONFIG_$n=|# CONFIG_$n is not set$)" "$edit" || true)
		[ -n "$e" ] || continue
		case $e in "# "*) grep -q "^CONFIG_$n=" "$conf/qpod-resolved.config" || continue ;; esac
		echo "$e" >> "$out.tmp"
	done
	[ -s "$out.tmp" ] || { rm -f "$out.tmp"; die "$edit sets nothing the fragments do not: no fragment written"; }
	{ echo "# $(basename "$out"): written by make kernel-savefragment"; cat "$out.tmp"; } > "$out.tmp2"
	mv "$out.tmp2" "$out.tmp"
	resolve "$@"
	if ! cmp -s "$conf/.config" "$edit"; then
		diff "$edit" "$conf/.config" | sed -n 's/^[<>] //p' | head -n 20 >&2
		rm -f "$out.tmp"
		die "the fragments and the new one do not resolve to $edit (above: what differs)"
	fi
	checked || { rm -f "$out.tmp"; die "with the new fragment, the options above of other fragments no longer hold: change them there"; }
	mv "$out.tmp" "$out"
	echo "kernel: wrote $out ($(grep -c -e '^CONFIG_' -e '^# CONFIG_' "$out") options)" >&2
}

# The package's own release date: stable for a given $ver, like the key.
build_epoch() {
	[ -n "${KERNEL_BUILD_EPOCH:-}" ] && { echo "$KERNEL_BUILD_EPOCH"; return; }
	cl=/usr/share/doc/$pkg/changelog.Debian.gz
	d=$(zcat "$cl" 2>/dev/null | sed -n 's/^ -- .*>  //p' | head -n 1)
	[ -n "$d" ] || die "cannot read the release date from $cl"
	date -u -d "$d" +%s
}

cmd_build() {
	config=$1
	stamp=$(date -u -d "@$(build_epoch)" '+%a %b %e %H:%M:%S UTC %Y')
	# shellcheck disable=SC2086
	key=$({ printf '%s %s\n%s\n' "$pkg" "$ver" "$stamp"; cat "$config" $patches; } |
		sha256sum | cut -c1-16)
	kern=$cache/kern-$key
	# An entry appears only by rename, so one that exists is complete.
	if [ ! -d "$kern" ]; then
		build "$config" "$stamp"
		rm -rf "$kern.tmp"
		mkdir "$kern.tmp"
		cp "$b/$kimage" "$b/System.map" "$kern.tmp/"
		# No symbols: qemu's ELF loader would read them for nothing.
		"${cross}strip" -o "$kern.tmp/vmlinux" "$b/vmlinux"
		chmod 0644 "$kern.tmp/vmlinux"
		cp "$config" "$kern.tmp/config"
		mv "$kern.tmp" "$kern"
	fi
	put "$kern/${kimage##*/}" "$2"
	put "$kern/config" "$3"
	put "$kern/System.map" "$4"
	put "$kern/vmlinux" "$5"
	[ -z "${6:-}" ] || echo "$key" > "$6"
	# Keep the 8 kernels used last (about 7 MiB each).
	touch "$kern"
	# shellcheck disable=SC2012 # keys are hex: ls -t is safe and short
	ls -dt "$cache"/kern-???????????????? | tail -n +9 | while read -r old; do rm -rf "$old"; done
}

build() {
	config=$1 stamp=$2
	extract
	need_space 512
	patched
	log=$cache/build.log
	mkdir -p "$b"
	# Keep .config's mtime when nothing changed: kbuild rebuilds what it must.
	cmp -s "$config" "$b/.config" || cp "$config" "$b/.config"
	jobs=$(($(nproc) + 1))
	echo "kernel: building $pkg $ver (-j$jobs, log: $log)" >&2
	start=$(date +%s)
	make -C "$tree" ARCH="$karch" CROSS_COMPILE="$cross" LOCALVERSION= O="$b" -j"$jobs" \
		KBUILD_BUILD_TIMESTAMP="$stamp" KBUILD_BUILD_USER=qpod \
		KBUILD_BUILD_HOST=qpod KBUILD_BUILD_VERSION=1 \
		olddefconfig "${kimage##*/}" vmlinux > "$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "build failed, full log: $log"; }
	cmp -s "$config" "$b/.config" ||
		die "olddefconfig changed the resolved config in $b (stale build dir?)"
	echo "kernel: built in $(($(date +%s) - start)) s" >&2
}

[ $# -ge 1 ] || die "usage: kernel.sh config OUT FRAGMENT... [+ FRAGMENT...] | build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX [KEY_OUT]"
mkdir -p "$cache"
# One kernel.sh per cache at a time: builds share the source and build dirs.
exec 9> "$cache/lock"
flock 9
case $1 in
config) [ $# -ge 3 ] || die "usage: kernel.sh config OUT FRAGMENT..."; shift; cmd_config "$@" ;;
menuconfig) [ $# -eq 2 ] || die "usage: kernel.sh menuconfig EDIT"; shift; cmd_menuconfig "$@" ;;
savefragment) [ $# -ge 4 ] || die "usage: kernel.sh savefragment OUT EDIT FRAGMENT..."; shift; cmd_savefragment "$@" ;;
build)  [ $# -eq 6 ] || [ $# -eq 7 ] || die "usage: kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX [KEY_OUT]"
	shift; cmd_build "$@" ;;
*) die "unknown command $1" ;;
esac
