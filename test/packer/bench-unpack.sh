#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench-unpack.sh [WORKDIR]: cold and warm unpack time of a large image,
# next to GNU tar extracting the same layer, in the same run on the same disk.
#
# The image is a Debian 12 minbase rootfs (debootstrap, from the Debian
# mirror; kept in $QPOD_BUILD_CACHE/bench so reruns skip it), packed two ways:
#   docker  a docker-archive with one plain tar layer (made here, like
#           packer/mkbusybox.sh does), compared with `tar -xf layer.tar`
#   oci     the same image as an OCI archive with a gzip layer (skopeo),
#           compared with `tar -xzf layer.tar.gz`
# The two alternate, RUNS rounds (default 5), medians, each into a fresh
# directory after a `sync` so one run's writeback does not land in the next;
# once in WORKDIR (a disk) and once on /dev/shm (tmpfs: CPU only). The warm
# re-run is timed by hyperfine (30 runs, median).
# Output, one "key value" per line:
#   docker_cold_ms docker_tar_ms docker_ratio oci_cold_ms oci_tar_ms oci_ratio
#   tmpfs_docker_* tmpfs_oci_* (same, on tmpfs) warm_ms files bytes
# Goals: ratio <= 1.0, warm_ms <= 10.
# Needs root (debootstrap; both tools then restore owners), debootstrap,
# skopeo, hyperfine, jq.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${QPOD_OUT:-$root/out}
pack=$out/obj/packer/qpod-pack
cache=${QPOD_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qpod-build}/bench
own=
[ $# -ge 1 ] || own=$(mktemp -d "${TMPDIR:-/var/tmp}/qpod-bench.XXXXXX")
work=${1:-$own}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
runs=${RUNS:-5}
[ -x "$pack" ] || { echo "bench-unpack: $pack missing (make packer)" >&2; exit 1; }
mkdir -p "$cache" "$work"
trap 'rm -rf "$work/x" "$work/cache" "$work/warm" /dev/shm/qpod-bench.$$ $own' EXIT

# 1. The rootfs, once: a tar of it in the build cache.
if [ ! -s "$cache/minbase.tar" ]; then
	echo "bench-unpack: debootstrap --variant=minbase bookworm (once)" >&2
	rm -rf "$cache/rootfs"
	debootstrap --variant=minbase bookworm "$cache/rootfs" "$mirror" >&2
	tar -C "$cache/rootfs" --numeric-owner --xattrs --sort=name -cf "$cache/minbase.tar.tmp" .
	mv "$cache/minbase.tar.tmp" "$cache/minbase.tar"
	rm -rf "$cache/rootfs"
fi

# 2. The archives, once.
if [ ! -s "$cache/minbase-docker.tar" ]; then
	d=$work/docker
	mkdir -p "$d"
	diffid=$(sha256sum < "$cache/minbase.tar" | cut -c1-64)
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diffid" > "$d/config.json"
	cfg=$(sha256sum < "$d/config.json" | cut -c1-64)
	mv "$d/config.json" "$d/$cfg.json"
	ln "$cache/minbase.tar" "$d/$diffid.tar" 2>/dev/null || cp "$cache/minbase.tar" "$d/$diffid.tar"
	printf '[{"Config":"%s.json","RepoTags":["bench/minbase:latest"],"Layers":["%s.tar"]}]' "$cfg" "$diffid" > "$d/manifest.json"
	tar -C "$d" -cf "$cache/minbase-docker.tar.tmp" manifest.json "$cfg.json" "$diffid.tar"
	mv "$cache/minbase-docker.tar.tmp" "$cache/minbase-docker.tar"
	rm -rf "$d"
fi
if [ ! -s "$cache/minbase-oci.tar" ]; then
	skopeo copy -q "docker-archive:$cache/minbase-docker.tar" "oci-archive:$cache/minbase-oci.tar.tmp:bench" >&2
	mv "$cache/minbase-oci.tar.tmp" "$cache/minbase-oci.tar"
fi
if [ ! -s "$cache/minbase-layer.tar.gz" ]; then
	# the OCI archive's layer blob, for tar -xzf
	m=$(tar -xOf "$cache/minbase-oci.tar" index.json | jq -r '.manifests[0].digest | sub(":"; "/")')
	blob=blobs/$(tar -xOf "$cache/minbase-oci.tar" "blobs/$m" | jq -r '.layers[0].digest | sub(":"; "/")')
	tar -xOf "$cache/minbase-oci.tar" "$blob" > "$cache/minbase-layer.tar.gz"
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# ms CMD...: run CMD once, print its wall time in ms
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

fresh() { rm -rf "$1/cache" "$1/x"; mkdir -p "$1/x"; sync; }

# 3. Cold: ours and GNU tar alternate, RUNS rounds, medians; in DIR.
bench() { # bench NAME DIR ARCHIVE TAR-ARGS...
	local name=$1 dir=$2 archive=$3 ours tar
	shift 3
	mkdir -p "$dir"
	: > "$work/$name.ours"
	: > "$work/$name.tar"
	for _ in $(seq "$runs"); do
		fresh "$dir"
		ms "$pack" --no-progress --cache "$dir/cache" "$archive" >> "$work/$name.ours"
		fresh "$dir"
		ms tar --numeric-owner -C "$dir/x" "$@" >> "$work/$name.tar"
	done
	rm -rf "$dir/cache" "$dir/x"
	echo "bench-unpack: $name ours: $(tr '\n' ' ' < "$work/$name.ours")ms; tar: $(tr '\n' ' ' < "$work/$name.tar")ms" >&2
	ours=$(median < "$work/$name.ours")
	tar=$(median < "$work/$name.tar")
	echo "${name}_cold_ms $ours"
	echo "${name}_tar_ms $tar"
	echo "${name}_ratio $(awk -v a="$ours" -v b="$tar" 'BEGIN { printf "%.2f", a / b }')"
}
bench docker "$work" "$cache/minbase-docker.tar" -xf "$cache/minbase.tar"
bench oci "$work" "$cache/minbase-oci.tar" -xzf "$cache/minbase-layer.tar.gz"
# The same on tmpfs: no disk, so the CPU side (hashing, decompression,
# syscalls) is what is compared.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=/dev/shm/qpod-bench.$$
	bench tmpfs_docker "$shm" "$cache/minbase-docker.tar" -xf "$cache/minbase.tar"
	bench tmpfs_oci "$shm" "$cache/minbase-oci.tar" -xzf "$cache/minbase-layer.tar.gz"
	rm -rf "$shm"
fi

# 4. Warm: the entry exists; a run maps the file to it without reading it.
rm -rf "$work/warm"
"$pack" --no-progress --cache "$work/warm" "$cache/minbase-docker.tar" > "$work/warm.json"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/warm-h.json" \
	"$pack --no-progress --cache $work/warm $cache/minbase-docker.tar" >&2
echo "warm_ms $(jq -r '.results[0].median * 1000 | . * 100 | floor / 100' "$work/warm-h.json")"
r=$(jq -r .rootfs "$work/warm.json")
echo "files $(find "$r" | wc -l)"
echo "bytes $(du -sb "$r" | cut -f1)"
