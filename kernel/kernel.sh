#!/bin/sh
# kernel.sh: resolve the guest kernel's config, build the kernel, cache both.
#
#   kernel.sh config OUT FRAGMENT...
#       allnoconfig + KCONFIG_ALLCONFIG=(the FRAGMENTs concatenated, in the
#       order given), then olddefconfig. Every option a fragment sets must come
#       out of kconfig unchanged, or this fails naming the option and fragment.
#       Writes the full resolved .config to OUT (replaced only if it changed).
#   kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP
#       The bzImage for that resolved CONFIG: taken from the cache when its key
#       matches, else built (incrementally) and stored. Copies it to VMLINUZ,
#       CONFIG to KCONFIG_OUT and the kernel's symbol map to SYSTEM_MAP (the
#       image has no KALLSYMS: this decodes oops addresses).
#
# The cache ($QPOD_BUILD_CACHE/kernel, outside the repo, survives git clean):
#   src-VER/       linux-source-6.1 VER extracted (renamed into place when whole;
#                  a new VER replaces the old src, conf and build dirs)
#   conf-VER/      out-of-tree dir for config resolution only (kconfig tools)
#   build-VER/     out-of-tree dir for the kernel build (incremental)
#   kern-KEY/      bzImage, config, System.map; KEY = sha256 of the package
#                  version, the build stamp and the resolved .config (which
#                  names the compiler). The 8 used last are kept.
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
# The kernel's make sees none of the calling make's flags or variables.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
kmake() { make -C "$src" ARCH=x86_64 LOCALVERSION= "$@"; }

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

# put SRC DST: replace DST only once the copy is whole.
put() { cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; }

cmd_config() {
	out=$1; shift
	[ $# -gt 0 ] || die "no config fragments given"
	for f; do [ -r "$f" ] || die "cannot read fragment $f"; done
	extract
	conf=$cache/conf-$ver
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
	key=$({ printf '%s %s\n%s\n' "$pkg" "$ver" "$stamp"; cat "$config"; } |
		sha256sum | cut -c1-16)
	kern=$cache/kern-$key
	# An entry appears only by rename, so one that exists is complete.
	if [ ! -d "$kern" ]; then
		build "$config" "$stamp"
		b=$cache/build-$ver
		rm -rf "$kern.tmp"
		mkdir "$kern.tmp"
		cp "$b/arch/x86/boot/bzImage" "$b/System.map" "$kern.tmp/"
		cp "$config" "$kern.tmp/config"
		mv "$kern.tmp" "$kern"
	fi
	put "$kern/bzImage" "$2"
	put "$kern/config" "$3"
	put "$kern/System.map" "$4"
	# Keep the 8 kernels used last (about 3 MiB each).
	touch "$kern"
	# shellcheck disable=SC2012 # keys are hex: ls -t is safe and short
	ls -dt "$cache"/kern-???????????????? | tail -n +9 | while read -r old; do rm -rf "$old"; done
}

build() {
	config=$1 stamp=$2
	extract
	need_space 512
	b=$cache/build-$ver log=$cache/build.log
	mkdir -p "$b"
	# Keep .config's mtime when nothing changed: kbuild rebuilds what it must.
	cmp -s "$config" "$b/.config" || cp "$config" "$b/.config"
	jobs=$(($(nproc) + 1))
	echo "kernel: building $pkg $ver (-j$jobs, log: $log)" >&2
	start=$(date +%s)
	kmake O="$b" -j"$jobs" \
		KBUILD_BUILD_TIMESTAMP="$stamp" KBUILD_BUILD_USER=qpod \
		KBUILD_BUILD_HOST=qpod KBUILD_BUILD_VERSION=1 \
		olddefconfig bzImage > "$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "build failed, full log: $log"; }
	cmp -s "$config" "$b/.config" ||
		die "olddefconfig changed the resolved config in $b (stale build dir?)"
	echo "kernel: built in $(($(date +%s) - start)) s" >&2
}

[ $# -ge 1 ] || die "usage: kernel.sh config OUT FRAGMENT... | build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP"
mkdir -p "$cache"
# One kernel.sh per cache at a time: builds share the source and build dirs.
exec 9> "$cache/lock"
flock 9
case $1 in
config) [ $# -ge 3 ] || die "usage: kernel.sh config OUT FRAGMENT..."; shift; cmd_config "$@" ;;
build)  [ $# -eq 5 ] || die "usage: kernel.sh build CONFIG VMLINUZ KCONFIG_OUT SYSTEM_MAP"; shift; cmd_build "$@" ;;
*) die "unknown command $1" ;;
esac
