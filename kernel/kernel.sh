#!/bin/sh
# kernel.sh: resolve the guest kernel's config, build the kernel, cache both.
#
#   kernel.sh config OUT FRAGMENT...
#       allnoconfig + KCONFIG_ALLCONFIG=(the FRAGMENTs concatenated, in the
#       order given), then olddefconfig. Every option a fragment sets must come
#       out of kconfig unchanged, or this fails naming the option and fragment.
#       Writes the full resolved .config to OUT (replaced only if it changed).
#   kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX
#       The kernel for that resolved CONFIG: taken from the cache when its key
#       matches, else built (incrementally) and stored. Copies the bzImage to
#       VMLINUZ, CONFIG to KCONFIG_OUT, the kernel's symbol map to SYSTEM_MAP
#       (the image has no KALLSYMS: this decodes oops addresses) and the same
#       kernel as a stripped ELF to VMLINUX: qemu loads it directly and enters
#       it through its PVH note, with no decompression (docs/performance.md).
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

# check FRAGMENT... < resolved .config: every option a fragment sets is in the
# resolved config with that value ("is not set" may also be absent: an option
# whose dependencies are off is off). The last fragment to set an option wins;
# two fragments setting it differently is an error too.
check() {
	awk -v resolved="$1" '
	function opt(line) {
		if (line ~ /^CONFIG_[A-Za-z0-9_]+=/) { sub(/=.*/, "", line); return line }
		if (line ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { split(line, parts, " "); return parts[2] }
		return ""
	}
	BEGIN { while ((getline l < resolved) > 0) if ((o = opt(l)) != "") got[o] = l }
	FNR == 1 { file = FILENAME }
	{
		o = opt($0)
		if (o == "") next
		if (o in want && want[o] != $0) {
			printf "kernel: %s from %s conflicts with %s from %s\n", \
				$0, file, want[o], from[o]; bad = 1
		}
		want[o] = $0; from[o] = file
	}
	END {
		for (o in want) {
			w = want[o]
			if (w ~ /^# / && (!(o in got) || got[o] == w)) continue
			if (!(o in got))
				printf "kernel: %s from %s is not in the resolved config (unknown, or its dependencies are off)\n", w, from[o]
			else if (got[o] != w)
				printf "kernel: %s from %s resolved to \"%s\" (a dependency or choice overrides it)\n", w, from[o], got[o]
			else continue
			bad = 1
		}
		exit bad
	}' "$@"
}

# put SRC DST: replace DST only once the copy is whole; DST - is no output.
put() { [ "$2" = - ] || { cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; }; }

cmd_config() {
	out=$1; shift
	[ $# -gt 0 ] || die "no config fragments given"
	for f; do [ -r "$f" ] || die "cannot read fragment $f"; done
	extract
	conf=$cache/conf-$ver$asfx
	mkdir -p "$conf"
	cat "$@" > "$conf/qpod-fragments.config"
	log=$cache/config.log
	{ kmake O="$conf" KCONFIG_ALLCONFIG="$conf/qpod-fragments.config" allnoconfig &&
	  kmake O="$conf" olddefconfig; } > "$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "config failed, full log: $log"; }
	if ! msgs=$(check "$conf/.config" "$@"); then
		printf '%s\n' "$msgs" | sort >&2
		exit 1
	fi
	cmp -s "$conf/.config" "$out" 2>/dev/null || put "$conf/.config" "$out"
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

[ $# -ge 1 ] || die "usage: kernel.sh config OUT FRAGMENT... | build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX"
mkdir -p "$cache"
# One kernel.sh per cache at a time: builds share the source and build dirs.
exec 9> "$cache/lock"
flock 9
case $1 in
config) [ $# -ge 3 ] || die "usage: kernel.sh config OUT FRAGMENT..."; shift; cmd_config "$@" ;;
build)  [ $# -eq 6 ] || die "usage: kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP VMLINUX"; shift; cmd_build "$@" ;;
*) die "unknown command $1" ;;
esac
