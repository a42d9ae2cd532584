#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# packer.bats: qpod-pack (the packer's CLI) end to end: every real fixture
# archive in $QPOD_FIXTURES (default ../shared/fixtures/images, see
# SOURCES.md there) unpacks to the tree its layers imply, or is refused with
# a reason; image selection; the cache (warm runs, concurrency,
# interruption, ls/prune, permissions); the default busybox image.
#
# Trees are checked two ways: facts from SOURCES.md (whiteouts, hardlinks,
# file contents) and, where skopeo can read the archive, equality with
# umoci's unpack of the same image (test/packer/tree.sh lists path, type,
# mode, owner, link target, link count, mtime and content hash).
bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	export QPOD_OUT=${QPOD_OUT:-$PWD/out}
	export PACK=$QPOD_OUT/obj/packer/qpod-pack
	export BUSYBOX_TAR=$QPOD_OUT/images/busybox.tar
	# The fixtures sit beside the repo (../shared); a clone elsewhere finds the workplace's copy.
	export FIX=${QPOD_FIXTURES:-$PWD/../shared/fixtures/images}
	[ -d "$FIX" ] || FIX=/work/shared/fixtures/images
	export TREE=$BATS_TEST_DIRNAME/packer/tree.sh
	[ -x "$PACK" ] || { echo "# $PACK missing: make O=... packer" >&3; return 1; }
	[ -d "$FIX" ] || { echo "# fixtures missing: $FIX" >&3; return 1; }
	for f in dive-docker-save-busybox-14layers.tar dive-kaniko-tarball-busybox-14layers-gzip.tar \
		dive-oci-zstd-readme-arm64.tar snyk-docker25-save-hello-world-amd64.tar \
		snyk-oci-busybox-3layers-whiteout-opaque.tar snyk-containerd-export-busybox-multiarch-index.tar \
		snyk-containerd-export-alpine-3.14.tar snyk-skopeo-docker-archive-busybox.tar \
		trivy-docker-save-alpine-3.10.tar.gz ggcr-crane-tarball-whiteout-dir-recreate.tar \
		scalibr-docker-save-symlinks-escape.tar; do
		[ -f "$FIX/$f" ] || { echo "# fixture missing: $FIX/$f" >&3; return 1; }
	done
	export GEN=$BATS_FILE_TMPDIR/gen
	"$BATS_TEST_DIRNAME/packer/mkhostile.py" "$GEN" "p$$"
}

setup() {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
}

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/small" 2>/dev/null; then umount "$BATS_TEST_TMPDIR/small"; fi
}

pack() { # pack ARGS...: run qpod-pack, stdout and stderr apart
	run --separate-stderr "$PACK" --no-progress "$@"
}

packed() { # packed ARGS...: pack, must succeed; sets R to the rootfs
	pack "$@"
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; return 1; }
	R=$(jq -r .rootfs <<<"$output")
	[ -d "$R" ]
}

refused() { # refused TEXT ARGS...: pack must fail with one line containing TEXT, and add no entry
	local text=$1 before
	shift
	before=$(ls -A "$QPOD_CACHE/images" 2>/dev/null | wc -l)
	pack "$@"
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$text"* ]]
	[ "$(ls -A "$QPOD_CACHE/images" 2>/dev/null | wc -l)" -eq "$before" ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp" 2>/dev/null)" ]
}

same_as_umoci() { # same_as_umoci SKOPEO-REF: our tree ($R) equals umoci's unpack
	local d=$BATS_TEST_TMPDIR/umoci
	mkdir -p "$d"
	skopeo copy -q "$1" "oci:$d/layout:x" >/dev/null
	umoci unpack --image "$d/layout:x" "$d/bundle" >/dev/null 2>&1
	"$TREE" "$d/bundle/rootfs" > "$d/want"
	"$TREE" "$R" > "$d/got"
	diff "$d/want" "$d/got"
	[ -s "$d/want" ]
}

inode() { stat -c %i "$1"; }

without_manifest() { # without_manifest IN OUT: the archive minus manifest.json (OCI layout only)
	local d=$BATS_TEST_TMPDIR/unpacked
	mkdir -p "$d"
	tar -xf "$1" -C "$d"
	rm "$d/manifest.json"
	tar -cf "$2" -C "$d" .
}

# ---- the fixtures ---------------------------------------------------------

@test "1 docker 18.09 save, 14 layers: whiteouts of a file and of a directory" {
	packed "$FIX/dive-docker-save-busybox-14layers.tar"
	[ "$(ls -A "$R/root" | sort | tr '\n' ' ')" = ".data .saved.txt saved.txt " ]
	[ ! -e "$R/root/example" ]
	[ "$(inode "$R/bin/[")" = "$(inode "$R/bin/[[")" ]
	[ "$(stat -c %h "$R/bin/busybox")" -gt 300 ]
	[ "$(jq -c .cmd <<<"$output")" = '["sh"]' ]
	[ "$(jq -r .unpacked <<<"$output")" = true ]
}

@test "1 docker 18.09 save: same tree as umoci" {
	packed "$FIX/dive-docker-save-busybox-14layers.tar"
	same_as_umoci "docker-archive:$FIX/dive-docker-save-busybox-14layers.tar"
}

@test "2 kaniko tarball, gzip layers, config named sha256:<hex>: same tree as umoci" {
	packed "$FIX/dive-kaniko-tarball-busybox-14layers-gzip.tar"
	[ "$(ls -A "$R/root" | sort | tr '\n' ' ')" = ".data .saved.txt saved.txt " ]
	[ "$(inode "$R/bin/[")" = "$(inode "$R/bin/[[")" ]
	same_as_umoci "docker-archive:$FIX/dive-kaniko-tarball-busybox-14layers-gzip.tar"
}

@test "3 OCI zstd, arm64 only: taken as it is without --platform; --platform linux/amd64 says it has none" {
	refused "no linux/amd64 variant (has: linux/arm64)" --platform linux/amd64 "$FIX/dive-oci-zstd-readme-arm64.tar"
	packed "$FIX/dive-oci-zstd-readme-arm64.tar"
	[ "$(jq -r .platform <<<"$output")" = linux/arm64 ]
}

@test "3 OCI zstd, arm64: --platform linux/arm64 unpacks it for inspection" {
	packed --platform linux/arm64 "$FIX/dive-oci-zstd-readme-arm64.tar"
	[ "$(ls -A "$R")" = README.md ]
	[ "$(stat -c %s "$R/README.md")" -eq 11189 ]
}

@test "4 docker 25 save (OCI layout inside): hello-world, Cmd [/hello]" {
	packed "$FIX/snyk-docker25-save-hello-world-amd64.tar"
	[ "$(jq -c .cmd <<<"$output")" = '["/hello"]' ]
	[ "$(jq -r .workdir <<<"$output")" = / ]
	[ -x "$R/hello" ]
	same_as_umoci "docker-archive:$FIX/snyk-docker25-save-hello-world-amd64.tar"
}

@test "5 OCI layout, opaque whiteouts: no /node, /proc and /sys empty" {
	packed "$FIX/snyk-oci-busybox-3layers-whiteout-opaque.tar"
	[ ! -e "$R/node" ]
	[ -d "$R/proc" ]
	[ -z "$(ls -A "$R/proc")" ]
	[ -d "$R/sys" ]
	[ -z "$(ls -A "$R/sys")" ]
	same_as_umoci "oci-archive:$FIX/snyk-oci-busybox-3layers-whiteout-opaque.tar"
}

@test "6 containerd export, nested multi-arch index: busybox 1.36.1" {
	packed "$FIX/snyk-containerd-export-busybox-multiarch-index.tar"
	grep -q "BusyBox v1.36.1" "$R/bin/busybox"
	[ "$(inode "$R/bin/[")" = "$(inode "$R/bin/[[")" ]
	same_as_umoci "docker-archive:$FIX/snyk-containerd-export-busybox-multiarch-index.tar"
}

@test "6 without manifest.json: the OCI index picks linux/amd64 among 20 entries" {
	without_manifest "$FIX/snyk-containerd-export-busybox-multiarch-index.tar" "$BATS_TEST_TMPDIR/oci.tar"
	packed "$BATS_TEST_TMPDIR/oci.tar"
	grep -q "BusyBox v1.36.1" "$R/bin/busybox"
	refused "manifest blob sha256:8f03917912ea... is not in the archive" --platform linux/arm64/v8 "$BATS_TEST_TMPDIR/oci.tar"
}

@test "7 containerd export, Docker media types in the OCI layout: alpine 3.14.9" {
	packed "$FIX/snyk-containerd-export-alpine-3.14.tar"
	[ "$(cat "$R/etc/alpine-release")" = 3.14.9 ]
	without_manifest "$FIX/snyk-containerd-export-alpine-3.14.tar" "$BATS_TEST_TMPDIR/oci.tar"
	packed "$BATS_TEST_TMPDIR/oci.tar"
	[ "$(cat "$R/etc/alpine-release")" = 3.14.9 ]
	same_as_umoci "docker-archive:$FIX/snyk-containerd-export-alpine-3.14.tar"
}

@test "8 skopeo docker-archive: in-archive symlink layer.tar, RepoTags []" {
	packed "$FIX/snyk-skopeo-docker-archive-busybox.tar"
	grep -q "BusyBox v1.31.1" "$R/bin/busybox"
	same_as_umoci "docker-archive:$FIX/snyk-skopeo-docker-archive-busybox.tar"
	refused "no image named busybox (has: (untagged))" "$FIX/snyk-skopeo-docker-archive-busybox.tar:busybox"
}

@test "9 whole archive gzip-compressed: alpine 3.10.4" {
	packed "$FIX/trivy-docker-save-alpine-3.10.tar.gz"
	[ "$(cat "$R/etc/alpine-release")" = 3.10.4 ]
	gunzip -c "$FIX/trivy-docker-save-alpine-3.10.tar.gz" > "$BATS_TEST_TMPDIR/plain.tar"
	same_as_umoci "docker-archive:$BATS_TEST_TMPDIR/plain.tar"
}

@test "9 whole archive zstd-compressed works too" {
	gunzip -c "$FIX/trivy-docker-save-alpine-3.10.tar.gz" | zstd -q -c > "$BATS_TEST_TMPDIR/a.tar.zst"
	packed "$BATS_TEST_TMPDIR/a.tar.zst"
	[ "$(cat "$R/etc/alpine-release")" = 3.10.4 ]
}

@test "10 crane tarball: a directory whited out and recreated: exactly /a/baz and /b/bar" {
	packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[ "$(cd "$R" && find . -mindepth 1 | sort | tr '\n' ' ')" = "./a ./a/baz ./b ./b/bar " ]
	same_as_umoci "docker-archive:$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
}

@test "11 symlinks kept verbatim, escaping ones included, nothing made outside" {
	packed "$FIX/scalibr-docker-save-symlinks-escape.tar"
	[ "$(readlink "$R/dir1/attack-symlink.txt")" = ../../secret.txt ]
	[ "$(readlink "$R/dir1/attack-symlink-absolute.txt")" = /../secret.txt ]
	[ "$(readlink "$R/dir2/dir3/absolute-symlink-inside-root.txt")" = /dir2/../dir1/sample.txt ]
	[ "$(readlink "$R/dir1/chain-symlink.txt")" = absolute-symlink.txt ]
	[ ! -e "$R/../secret.txt" ]
	[ ! -e "$QPOD_CACHE/secret.txt" ]
	[ ! -e /secret.txt ]
	same_as_umoci "docker-archive:$FIX/scalibr-docker-save-symlinks-escape.tar"
}

@test "docker < 1.10 archive (no manifest.json): repositories and the parent chain" {
	local d=$BATS_TEST_TMPDIR/x
	mkdir -p "$d"
	tar -xf "$FIX/dive-docker-save-busybox-14layers.tar" -C "$d"
	rm "$d/manifest.json"
	tar -cf "$BATS_TEST_TMPDIR/legacy.tar" -C "$d" .
	packed "$BATS_TEST_TMPDIR/legacy.tar"
	[ "$(ls -A "$R/root" | sort | tr '\n' ' ')" = ".data .saved.txt saved.txt " ]
	[ "$(jq -c .cmd <<<"$output")" = '["sh"]' ]
	same_as_umoci "docker-archive:$FIX/dive-docker-save-busybox-14layers.tar"
	refused "no image named nope:1 (has: dive-test:latest)" "$BATS_TEST_TMPDIR/legacy.tar:nope:1"
}

# ---- choosing an image ------------------------------------------------------

@test "several images: ARCHIVE:REPO:TAG picks one, names are normalized" {
	packed "$GEN/multi.tar:qpod/one:1"
	[ "$(cat "$R/which")" = one ]
	[ "$(jq -c .cmd <<<"$output")" = '["one"]' ]
	packed "$GEN/multi.tar:localhost:5000/two:2"
	[ "$(cat "$R/which")" = two ]
	packed "$GEN/multi.tar:docker.io/qpod/one"
	[ "$(cat "$R/which")" = one ]
}

@test "several images: no name, or an unknown one, lists the names present" {
	refused "holds 2 images; name one as" "$GEN/multi.tar"
	refused "no image named nope:1 (has: qpod/one:1, qpod/one:latest, localhost:5000/two:2)" "$GEN/multi.tar:nope:1"
}

@test "several OCI images: picked by their ref.name annotation" {
	packed "$GEN/oci_multi.tar:one"
	[ "$(cat "$R/which")" = one ]
	packed "$GEN/oci_multi.tar:qpod/two:2"
	[ "$(cat "$R/which")" = two ]
	refused "oci_multi.tar holds 2 images; name one as" "$GEN/oci_multi.tar"
	refused "no image named three (has: one, docker.io/qpod/two:2)" "$GEN/oci_multi.tar:three"
}

@test "one image: a wrong name is still an error" {
	refused "no image named other:1 (has: dive-test:latest)" "$FIX/dive-docker-save-busybox-14layers.tar:other:1"
	packed "$FIX/dive-docker-save-busybox-14layers.tar:dive-test:latest"
}

@test "a missing archive, a directory and a non-archive are refused" {
	pack "$BATS_TEST_TMPDIR/nothere.tar"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"No such file or directory"* ]]
	pack "$BATS_TEST_TMPDIR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"is a directory"* ]]
	echo hello > "$BATS_TEST_TMPDIR/t.txt"
	pack "$BATS_TEST_TMPDIR/t.txt"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"not a tar archive"* ]]
}

# ---- the cache -----------------------------------------------------------------

@test "warm run: unpacks nothing, same entry (its speed is make bench's)" {
	packed "$FIX/dive-docker-save-busybox-14layers.tar"
	local first=$R ino mt
	ino=$(inode "$R/bin/busybox")
	mt=$(stat -c %Y "$R")
	packed "$FIX/dive-docker-save-busybox-14layers.tar"
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	[ "$R" = "$first" ]
	[ "$(inode "$R/bin/busybox")" = "$ino" ]
	[ "$(stat -c %Y "$R")" = "$mt" ]
}

@test "keyed by content: a renamed, touched or recompressed copy is not unpacked again" {
	packed "$FIX/snyk-containerd-export-alpine-3.14.tar"
	local first=$R
	cp "$FIX/snyk-containerd-export-alpine-3.14.tar" "$BATS_TEST_TMPDIR/other-name.tar"
	packed "$BATS_TEST_TMPDIR/other-name.tar"
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	[ "$R" = "$first" ]
	touch "$BATS_TEST_TMPDIR/other-name.tar"
	packed "$BATS_TEST_TMPDIR/other-name.tar"
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	gzip -c "$BATS_TEST_TMPDIR/other-name.tar" > "$BATS_TEST_TMPDIR/z.tar.gz"
	packed "$BATS_TEST_TMPDIR/z.tar.gz"
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	[ "$R" = "$first" ]
	[ "$(ls "$QPOD_CACHE/images" | wc -l)" -eq 1 ]
}

@test "eight concurrent first runs: all succeed, one unpack" {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		"$PACK" --no-progress "$GEN/stream_big.tar" > "$BATS_TEST_TMPDIR/out.$i" 2>&1 3>&- &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		jq -e .rootfs "$BATS_TEST_TMPDIR/out.$i" >/dev/null
	done
	[ "$(cat "$BATS_TEST_TMPDIR"/out.* | jq -r .unpacked | grep -c true)" -eq 1 ]
	[ "$(ls "$QPOD_CACHE/images" | wc -l)" -eq 1 ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp")" ]
}

@test "kill -9 during an unpack: nothing published, the next run succeeds and cleans up" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	{ head -c 20000000 "$GEN/stream_big.tar"; sleep 60; } > "$BATS_TEST_TMPDIR/fifo" 3>&- &
	local writer=$!
	"$PACK" --no-progress "$BATS_TEST_TMPDIR/fifo" > /dev/null 2>&1 3>&- &
	local packer=$! i n=0
	for i in $(seq 200); do
		n=$(find "$QPOD_CACHE/tmp" -mindepth 3 -type f 2>/dev/null | wc -l)
		[ "$n" -gt 3 ] && break
		sleep 0.05
	done
	kill -9 "$packer"
	kill "$writer"
	wait "$packer" || true
	[ "$n" -gt 3 ]
	[ -z "$(ls -A "$QPOD_CACHE/images")" ]
	[ -n "$(ls -A "$QPOD_CACHE/tmp")" ]
	packed "$GEN/stream_big.tar"
	[ "$(jq -r .unpacked <<<"$output")" = true ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp")" ]
	[ "$(ls "$R/big" | wc -l)" -eq 48 ]
}

@test "a full disk fails the unpack with one line, leaves nothing, and frees the space" {
	[ "$(id -u)" = 0 ] || skip "cannot run here: needs root to mount a small tmpfs"
	mkdir -p "$BATS_TEST_TMPDIR/small"
	mount -t tmpfs -o size=8m tmpfs "$BATS_TEST_TMPDIR/small" || skip "cannot run here: mount -t tmpfs failed"
	QPOD_CACHE=$BATS_TEST_TMPDIR/small/cache pack "$GEN/stream_big.tar"
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"layer "*": entry \"big/"*"No space left on device"* ]]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/small/cache/images")" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/small/cache/tmp")" ]
	[ "$(df --output=used -k "$BATS_TEST_TMPDIR/small" | tail -1)" -lt 100 ]
	QPOD_CACHE=$BATS_TEST_TMPDIR/small/cache packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
}

@test "a pipe is read in one pass when its order allows (our own image does)" {
	packed /dev/stdin < <(cat "$BUSYBOX_TAR")
	[ -x "$R/bin/busybox" ]
	rm -rf "$QPOD_CACHE"
	pack /dev/stdin < <(cat "$FIX/dive-docker-save-busybox-14layers.tar")
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"not a regular file"*"save it to a file first"* ]]
}

@test "--cache-ls shows the entries with size and last use" {
	packed "$FIX/snyk-containerd-export-alpine-3.14.tar"
	pack --cache-ls
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" == IMAGE*SIZE*"LAST USED"* ]]
	[[ "$output" == *6dff1269bc79*MB*"$(date +%Y-%m-%d)"*"alpine:3.14"* ]]
}

@test "--cache-prune removes unused entries, keeps one a live process holds" {
	packed "$FIX/snyk-containerd-export-alpine-3.14.tar"
	packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	"$PACK" --no-progress "$FIX/snyk-containerd-export-alpine-3.14.tar" -- sleep 30 > /dev/null 3>&- &
	local holder=$! i
	for i in $(seq 100); do
		pack --cache-ls
		[[ "$output" == *6dff1269bc79*yes* ]] && break
		sleep 0.05
	done
	pack --cache-prune
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 92f1e3d53acd"* ]]
	[[ "$output" == *"kept 6dff1269bc79"*"in use"* ]]
	[ -d "$QPOD_CACHE/images/6dff1269bc79a7c9056a9e9fa9c04850e842b0124a9c73d089ae647b13b0187d/rootfs" ]
	[ ! -e "$QPOD_CACHE/images/92f1e3d53acdc7e137e73869abc4e87aba6614440a31723423790ca0d5db9111" ]
	kill "$holder"
	wait "$holder" || true
	pack --cache-prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 6dff1269bc79"* ]]
	[ -z "$(ls -A "$QPOD_CACHE/images")" ]
	[ -z "$(ls -A "$QPOD_CACHE/refs")" ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp")" ]
	packed "$FIX/snyk-containerd-export-alpine-3.14.tar"
	[ "$(jq -r .unpacked <<<"$output")" = true ]
}

@test "--cache-prune --older-than keeps recently used entries" {
	packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	pack --cache-prune --older-than 3600
	[ "$status" -eq 0 ]
	[[ "$output" == "0 removed"* ]]
	touch -d '2 hours ago' "$QPOD_CACHE"/images/*/used
	pack --cache-prune --older-than 3600
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 removed"* ]]
}

@test "the cache is private (0700), and fixed if it is not" {
	packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[ "$(stat -c %a "$QPOD_CACHE")" = 700 ]
	chmod 755 "$QPOD_CACHE"
	packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[ "$(stat -c %a "$QPOD_CACHE")" = 700 ]
	for d in images refs locks tmp; do [ "$(stat -c %a "$QPOD_CACHE/$d")" = 700 ]; done
}

@test "a cache that belongs to another uid is refused: 125, one line naming its owner, nothing written" {
	[ "$(id -u)" = 0 ] || skip "cannot run here: making a directory of another uid needs root"
	mkdir -m 700 "$QPOD_CACHE"
	chown 65534:65534 "$QPOD_CACHE"
	refused "belongs to uid 65534, not to you" "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[ -z "$(ls -A "$QPOD_CACHE")" ]
	[ "$(stat -c %u:%a "$QPOD_CACHE")" = 65534:700 ]
}

@test "the default cache is \${XDG_CACHE_HOME:-~/.cache}/qpod" {
	unset QPOD_CACHE
	XDG_CACHE_HOME=$BATS_TEST_TMPDIR/xdg packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[[ "$R" == "$BATS_TEST_TMPDIR/xdg/qpod/images/"* ]]
	HOME=$BATS_TEST_TMPDIR/home XDG_CACHE_HOME= packed "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[[ "$R" == "$BATS_TEST_TMPDIR/home/.cache/qpod/images/"* ]]
}

@test "quiet when stderr is not a terminal" {
	packed "$GEN/stream_big.tar"
	[ -z "$stderr" ]
}

@test "progress on a terminal: a line that rewrites itself, erased at the end" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	{ head -c 20000000 "$GEN/stream_big.tar"; sleep 1; tail -c +20000001 "$GEN/stream_big.tar"; } \
		> "$BATS_TEST_TMPDIR/fifo" 3>&- &
	script -qfec "$PACK $BATS_TEST_TMPDIR/fifo 2>&1 >/dev/null" /dev/null > "$BATS_TEST_TMPDIR/tty" 3>&-
	wait
	cat -v "$BATS_TEST_TMPDIR/tty"
	grep -q "qpod: unpacking $BATS_TEST_TMPDIR/fifo: layer 1/1, [0-9.]*/5[0-9]\.[0-9] MB" "$BATS_TEST_TMPDIR/tty"
	[[ "$(cat -v "$BATS_TEST_TMPDIR/tty")" == *"^M^[[K" ]]
}

# ---- the default image ------------------------------------------------------------

@test "busybox.tar: a docker-archive with busybox, applets, users" {
	[ -f "$BUSYBOX_TAR" ]
	tar -tf "$BUSYBOX_TAR" | head -1 | grep -qx manifest.json
	packed "$BUSYBOX_TAR"
	[ "$(jq -c .cmd <<<"$output")" = '["sh"]' ]
	[ "$(jq -c .entrypoint <<<"$output")" = null ]
	[ "$(jq -c .env <<<"$output")" = '["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]' ]
	[ -x "$R/bin/busybox" ]
	for a in sh echo cat id stty sleep sha256sum head ls; do [ "$(readlink "$R/bin/$a")" = busybox ]; done
	grep -qx 'qpod:x:1000:1000:qpod:/home/qpod:/bin/sh' "$R/etc/passwd"
	grep -q '^root:x:0:0:' "$R/etc/passwd"
	grep -q '^nobody:' "$R/etc/passwd"
	grep -qx 'qpod:x:1000:' "$R/etc/group"
	[ "$(stat -c %u:%g "$R/home/qpod")" = 1000:1000 ]
	[ "$(stat -c %a "$R/tmp")" = 1777 ]
	[ "$(stat -c %a "$R/root")" = 700 ]
	for d in proc sys dev; do
		[ -d "$R/$d" ] || { echo "no /$d"; return 1; }
		[ -z "$(ls -A "$R/$d")" ] || { echo "/$d is not empty"; return 1; }
	done
	if [ "$(id -u)" = 0 ]; then
		[ "$(chroot "$R" /bin/sh -c 'echo hello')" = hello ]
	fi
}

@test "busybox.tar is reproducible: two builds are byte-identical" {
	SOURCE_DATE_EPOCH=1700000000 "$BATS_TEST_DIRNAME/../packer/mkbusybox.sh" /bin/busybox "$BATS_TEST_TMPDIR/a.tar"
	sleep 1
	SOURCE_DATE_EPOCH=1700000000 "$BATS_TEST_DIRNAME/../packer/mkbusybox.sh" /bin/busybox "$BATS_TEST_TMPDIR/b.tar"
	cmp "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/b.tar"
}
