#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# registry.bats: images from where users keep them, for real, on loopback:
# Debian's docker-registry started here (127.0.0.1, its own config and
# storage in BATS_FILE_TMPDIR, never the system service; stopped in
# teardown_file whatever happens), images pushed to it with skopeo; OCI
# layout and docker-save directories; containers-storage from a private
# buildah root; skopeo's dir:. Through qpod-pack (the packer's CLI) and,
# where a VM proves the point, ./run and ./qpod pull.
#
# Every refused case: exit 125, one line on stderr, no cache entry, nothing
# left in tmp/.
bats_require_minimum_version 1.5.0

load helpers

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [STORAGE [HTPASSWD]]: a registry on a free loopback
# port; prints the port. Its pid goes to $BATS_FILE_TMPDIR/NAME.pid.
start_registry() {
	local name=$1 storage=${2:-$BATS_FILE_TMPDIR/$1-storage} htpasswd=${3:-} port i code
	port=$(free_port)
	mkdir -p "$storage"
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$storage"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		[ -z "$htpasswd" ] || printf 'auth:\n  htpasswd:\n    realm: qpod-test\n    path: %s\n' "$htpasswd"
	} > "$BATS_FILE_TMPDIR/$name.yml"
	docker-registry serve "$BATS_FILE_TMPDIR/$name.yml" > "$BATS_FILE_TMPDIR/$name.log" 2>&1 3>&- &
	echo $! > "$BATS_FILE_TMPDIR/$name.pid"
	for i in $(seq 100); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
		if [ "$code" = 200 ] || [ "$code" = 401 ]; then
			echo "$port"
			return 0
		fi
		sleep 0.1
	done
	echo "# registry $name did not start: $(cat "$BATS_FILE_TMPDIR/$name.log")" >&3
	return 1
}

stop_registry() {
	local f=$BATS_FILE_TMPDIR/$1.pid
	[ -f "$f" ] || return 0
	kill "$(cat "$f")" 2>/dev/null || true
	while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.05; done
	rm -f "$f"
}

push() { # push SRC NAME:TAG [REGISTRY-PORT]
	skopeo copy -q --dest-tls-verify=false "$1" "docker://127.0.0.1:${3:-$REG}/$2"
}

setup_file() {
	# helpers.bash: REPO, OUT, IMAGES; fixtures beside the repo, or the workplace's copy
	export PACK=$OUT/obj/packer/qpod-pack BUSYBOX_TAR=$IMAGES/busybox.tar
	export FIX=${QPOD_FIXTURES:-$REPO/../shared/fixtures/images}
	[ -d "$FIX" ] || FIX=/work/shared/fixtures/images
	[ -x "$PACK" ] || fail_now "$PACK missing: make packer"
	[ -f "$BUSYBOX_TAR" ] || fail_now "$BUSYBOX_TAR missing: make image"
	for t in docker-registry skopeo htpasswd buildah curl; do
		command -v "$t" > /dev/null || { echo "# $t missing (make deps-test)" >&3; return 1; }
	done
	export REG AUTHREG
	REG=$(start_registry plain)
	htpasswd -Bbn qpod s3cret > "$BATS_FILE_TMPDIR/htpasswd"
	AUTHREG=$(start_registry auth "" "$BATS_FILE_TMPDIR/htpasswd")
	push "docker-archive:$BUSYBOX_TAR" qpod/busybox:1
	push "docker-archive:$BUSYBOX_TAR" qpod/busybox:latest
	push "docker-archive:$FIX/snyk-skopeo-docker-archive-busybox.tar" qpod/other:1
	skopeo copy -q --dest-tls-verify=false --dest-creds qpod:s3cret "docker-archive:$BUSYBOX_TAR" \
		"docker://127.0.0.1:$AUTHREG/qpod/private:1"
	# A multi-platform index: the multiarch fixture's amd64 busybox and an arm64 image.
	local L=$BATS_FILE_TMPDIR/multi
	skopeo copy -q "docker-archive:$FIX/snyk-containerd-export-busybox-multiarch-index.tar" "oci:$L:amd64"
	skopeo copy -q --override-arch arm64 "oci-archive:$FIX/dive-oci-zstd-readme-arm64.tar" "oci:$L:arm64"
	python3 - "$L" <<-'EOF'
		import hashlib, json, os, sys
		L = sys.argv[1]
		idx = json.load(open(L + "/index.json"))
		by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
		def entry(name, arch):
		    d = {k: by[name][k] for k in ("mediaType", "digest", "size")}
		    d["platform"] = {"os": "linux", "architecture": arch}
		    return d
		def index(name, entries):
		    b = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		                    "manifests": entries}).encode()
		    h = hashlib.sha256(b).hexdigest()
		    open(L + "/blobs/sha256/" + h, "wb").write(b)
		    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
		                             "size": len(b), "annotations": {"org.opencontainers.image.ref.name": name}})
		index("multi", [entry("amd64", "amd64"), entry("arm64", "arm64")])
		index("armonly", [entry("arm64", "arm64")])
		json.dump(idx, open(L + "/index.json", "w"))
	EOF
	skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$L:multi" "docker://127.0.0.1:$REG/qpod/multi:1"
	skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$L:armonly" "docker://127.0.0.1:$REG/qpod/armonly:1"
	skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$L:arm64" "docker://127.0.0.1:$REG/qpod/arm64:1"
	# skopeo wrappers: one that logs its calls, one that fails
	mkdir -p "$BATS_FILE_TMPDIR/logging" "$BATS_FILE_TMPDIR/failing"
	printf '#!/bin/sh\necho "$*" >> "$SKOPEO_LOG"\nexec /usr/bin/skopeo "$@"\n' > "$BATS_FILE_TMPDIR/logging/skopeo"
	printf '#!/bin/sh\necho "$*" >> "$SKOPEO_LOG"\necho "time=x level=fatal msg=\\"the failing stand-in\\"" >&2\nexit 1\n' \
		> "$BATS_FILE_TMPDIR/failing/skopeo"
	chmod +x "$BATS_FILE_TMPDIR/logging/skopeo" "$BATS_FILE_TMPDIR/failing/skopeo"
}

teardown_file() {
	local f
	for f in "$BATS_FILE_TMPDIR"/*.pid; do
		if [ -f "$f" ]; then stop_registry "$(basename "$f" .pid)"; fi
	done
	return 0
}

setup() {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	export SKOPEO_LOG=$BATS_TEST_TMPDIR/skopeo.log
	: > "$SKOPEO_LOG"
	cd "$REPO"
}

pack() { run --separate-stderr "$PACK" --no-progress "$@"; }

packed() { # packed ARGS...: must succeed; R = rootfs, ID = key
	pack "$@"
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; return 1; }
	R=$(jq -r .rootfs <<<"$output")
	ID=$(jq -r .id <<<"$output")
	[ -d "$R" ]
}

clean_tmp() { [ -z "$(ls -A "$QPOD_CACHE/tmp" 2>/dev/null)" ]; }

refused() { # refused TEXT ARGS...: 125, one line with TEXT, nothing new in the cache
	local text=$1 before
	shift
	before=$(ls -A "$QPOD_CACHE/images" 2>/dev/null | wc -l)
	pack "$@"
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	# shellcheck disable=SC2053 # TEXT may hold * wildcards
	[[ "$stderr" == "qpod: "*$text* ]]
	[ "$(ls -A "$QPOD_CACHE/images" 2>/dev/null | wc -l)" -eq "$before" ]
	clean_tmp
}

digest_of() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$REG/$1"; }

copies() { grep -c '^--command-timeout=[0-9]*s --tmpdir .* copy ' "$SKOPEO_LOG" || true; }

# ---- registries ---------------------------------------------------------------

@test "./run a registry image by tag, then by digest; ls shows references and digests" {
	need_images
	run ./run --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1" sh -c 'echo pulled; id -un'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = pulled ]
	[ "${lines[1]}" = root ]
	local d
	d=$(digest_of qpod/busybox:1)
	run ./run --tls-verify=false "docker://127.0.0.1:$REG/qpod/busybox@$d" echo by-digest
	[ "$status" -eq 0 ]
	[ "$output" = by-digest ]
	run ./qpod cache ls
	echo "$output"
	[[ "$output" == *"docker://127.0.0.1:$REG/qpod/busybox:1  $d"* ]]
	[[ "$output" == *"docker://127.0.0.1:$REG/qpod/busybox@$d  $d"* ]]
	[ "$(ls "$QPOD_CACHE/images" | wc -l)" -eq 1 ]
	clean_tmp
}

@test "a cached reference starts with no skopeo call; by digest after by tag too" {
	packed --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1"
	local id=$ID d
	d=$(digest_of qpod/busybox:1)
	PATH=$BATS_FILE_TMPDIR/failing:$PATH packed "127.0.0.1:$REG/qpod/busybox:1"
	[ "$ID" = "$id" ]
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	PATH=$BATS_FILE_TMPDIR/failing:$PATH packed "docker://127.0.0.1:$REG/qpod/busybox@$d"
	[ "$ID" = "$id" ]
	[ ! -s "$SKOPEO_LOG" ]
}

@test "--pull never: 125 when not cached, the cache otherwise; missing pulls once; always asks again" {
	refused "not in the cache, and --pull never" --pull never "127.0.0.1:$REG/qpod/busybox:1"
	PATH=$BATS_FILE_TMPDIR/logging:$PATH packed --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1"
	local id=$ID
	[ "$(copies)" -eq 1 ]
	: > "$SKOPEO_LOG"
	PATH=$BATS_FILE_TMPDIR/failing:$PATH packed --pull never "127.0.0.1:$REG/qpod/busybox:1"
	[ "$ID" = "$id" ]
	PATH=$BATS_FILE_TMPDIR/failing:$PATH packed --pull missing "127.0.0.1:$REG/qpod/busybox:1"
	[ ! -s "$SKOPEO_LOG" ]
	# always: the registry is asked (inspect), nothing copied while the digest is unchanged
	PATH=$BATS_FILE_TMPDIR/logging:$PATH packed --pull always --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1"
	[ "$ID" = "$id" ]
	grep -q ' inspect --raw ' "$SKOPEO_LOG"
	[ "$(copies)" -eq 0 ]
	# the tag moves: missing keeps the cached image, always gets the new one
	push "docker-archive:$FIX/snyk-skopeo-docker-archive-busybox.tar" qpod/moving:1
	packed --tls-verify=false "127.0.0.1:$REG/qpod/moving:1"
	local old=$ID
	push "docker-archive:$BUSYBOX_TAR" qpod/moving:1
	packed --tls-verify=false "127.0.0.1:$REG/qpod/moving:1"
	[ "$ID" = "$old" ]
	packed --pull always --tls-verify=false "127.0.0.1:$REG/qpod/moving:1"
	[ "$ID" = "$id" ]
	[ "$ID" != "$old" ]
	clean_tmp
}

@test "qpod pull fetches and prints the image ID; ./run --pull never then boots it" {
	need_images
	run --separate-stderr ./qpod pull -q --tls-verify=false "127.0.0.1:$REG/qpod/busybox:latest"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run ./run --pull never "127.0.0.1:$REG/qpod/busybox" echo cached
	[ "$status" -eq 0 ]
	[ "$output" = cached ]
	run --separate-stderr ./qpod pull --bogus x
	[ "$status" -eq 125 ] && [[ "$stderr" == *"--bogus: unknown flag"* ]]
}

@test "the registry stopped: the cached reference still runs; --pull always says unreachable" {
	need_images
	local port
	port=$(start_registry again "$BATS_FILE_TMPDIR/plain-storage")
	run ./run --tls-verify=false "127.0.0.1:$port/qpod/busybox:1" echo first
	[ "$status" -eq 0 ]
	[ "$output" = first ]
	stop_registry again
	run ./run "127.0.0.1:$port/qpod/busybox:1" echo second
	[ "$status" -eq 0 ]
	[ "$output" = second ]
	refused "registry unreachable: *connection refused" --pull always --tls-verify=false "127.0.0.1:$port/qpod/busybox:1"
}

@test "unreachable registry, missing tag, unknown digest, plain HTTP without --tls-verify=false: one line each" {
	local t0=$SECONDS
	refused "127.0.0.1:1/x:1: registry unreachable: *connection refused" --tls-verify=false 127.0.0.1:1/x:1
	[ $((SECONDS - t0)) -lt 30 ]
	refused "no such image or tag: *manifest unknown" --tls-verify=false "127.0.0.1:$REG/qpod/busybox:nope"
	refused "no such image or tag" --tls-verify=false "127.0.0.1:$REG/qpod/nothere:1"
	refused "no such image or tag" --tls-verify=false "127.0.0.1:$REG/qpod/busybox@sha256:$(printf '0%.0s' $(seq 64))"
	refused "the registry speaks plain HTTP (--tls-verify=false for it)" "docker://127.0.0.1:$REG/qpod/busybox:1"
}

@test "references and transports qpod cannot use are refused before any program runs" {
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused 'unknown transport "ftp"' ftp://example/x
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "transport docker-daemon is not supported" docker-daemon:busybox:latest
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "not a valid image reference (both a tag and a digest)" \
		"docker://127.0.0.1:$REG/x:1@sha256:$(printf 'a%.0s' $(seq 64))"
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "only sha256 digests are supported" "127.0.0.1:$REG/x@sha512:abc"
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "no such file, directory or image reference (repository names are lowercase" Busybox
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "missing.tar: No such file or directory" missing.tar
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "not a valid image reference (bad tag)" "docker://127.0.0.1:$REG/x:-bad"
	[ ! -s "$SKOPEO_LOG" ]
}

@test "no skopeo on PATH: one line saying so, 125" {
	run --separate-stderr env PATH=/nonexistent "$PACK" --no-progress --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1"
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "qpod: 127.0.0.1:$REG/qpod/busybox:1: skopeo is not installed (Debian: apt-get install skopeo)"* ]]
	[ -z "$(ls -A "$QPOD_CACHE/images")" ] && clean_tmp
}

@test "htpasswd auth: refused without or with wrong credentials; --creds and --authfile work" {
	refused "the registry refused the credentials" --tls-verify=false "127.0.0.1:$AUTHREG/qpod/private:1"
	refused "the registry refused the credentials" --tls-verify=false --creds qpod --password-stdin "127.0.0.1:$AUTHREG/qpod/private:1" <<<wrong
	packed --tls-verify=false --creds qpod --password-stdin "127.0.0.1:$AUTHREG/qpod/private:1" <<<s3cret
	[ -x "$R/bin/busybox" ]
	clean_tmp
	if grep -rq s3cret "$QPOD_CACHE"; then return 1; fi
	rm -rf "$QPOD_CACHE"
	skopeo login -u qpod -p s3cret --tls-verify=false --authfile "$BATS_TEST_TMPDIR/auth.json" "127.0.0.1:$AUTHREG" > /dev/null
	packed --tls-verify=false --authfile "$BATS_TEST_TMPDIR/auth.json" "127.0.0.1:$AUTHREG/qpod/private:1"
}

@test "a registry serving a corrupted blob: digest mismatch, 125, no cache entry" {
	push "docker-archive:$FIX/snyk-skopeo-docker-archive-busybox.tar" qpod/corrupt:1
	local layer data
	layer=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://127.0.0.1:$REG/qpod/corrupt:1")
	layer=${layer#sha256:}
	data=$BATS_FILE_TMPDIR/plain-storage/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data
	[ -f "$data" ]
	cp "$data" "$BATS_TEST_TMPDIR/good"
	printf 'XXXXXXXX' | dd of="$data" bs=1 seek=100000 conv=notrunc status=none
	refused "digest mismatch" --tls-verify=false "127.0.0.1:$REG/qpod/corrupt:1"
	cp "$BATS_TEST_TMPDIR/good" "$data"
	[ -z "$(ls -A "$QPOD_CACHE/refs")" ]
}

@test "a multi-platform index: amd64 by default, --platform linux/arm64 picks the other; arm64-only is arm64's" {
	need_images
	run ./run --tls-verify=false "127.0.0.1:$REG/qpod/multi:1" busybox echo multi
	[ "$status" -eq 0 ]
	[ "$output" = multi ]
	packed --tls-verify=false --platform linux/arm64 "127.0.0.1:$REG/qpod/multi:1"
	[ -f "$R/README.md" ]
	[ ! -e "$R/bin" ]
	refused "the image has no linux/amd64 variant (has: linux/arm64)" --tls-verify=false --platform linux/amd64 \
		"127.0.0.1:$REG/qpod/armonly:1"
	refused "the image is linux/arm64, not linux/amd64" --tls-verify=false --platform linux/amd64 "127.0.0.1:$REG/qpod/arm64:1"
	packed --tls-verify=false "127.0.0.1:$REG/qpod/armonly:1"
	[ "$(jq -r .platform <<<"$output")" = linux/arm64 ]
	[ -f "$R/README.md" ]
}

@test "concurrent pulls of one reference copy once" {
	local i pids=()
	for i in 1 2 3 4; do
		PATH=$BATS_FILE_TMPDIR/logging:$PATH "$PACK" --no-progress --tls-verify=false "127.0.0.1:$REG/qpod/other:1" \
			> "$BATS_TEST_TMPDIR/out.$i" 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	cat "$SKOPEO_LOG"
	[ "$(copies)" -eq 1 ]
	[ "$(jq -r .id "$BATS_TEST_TMPDIR"/out.* | sort -u | wc -l)" -eq 1 ]
	[ "$(ls "$QPOD_CACHE/images" | wc -l)" -eq 1 ]
	clean_tmp
}

@test "a failed copy leaves nothing: no entry, no ref, an empty tmp/" {
	printf '#!/bin/sh\ncase "$*" in *" copy "*) d=${*##* oci:}; mkdir -p "${d%%%%:*}/blobs"; echo half > "${d%%%%:*}/blobs/x"; echo "level=fatal msg=\\"killed midway\\"" >&2; exit 1;; esac\nexec /usr/bin/skopeo "$@"\n' \
		> "$BATS_TEST_TMPDIR/skopeo"
	chmod +x "$BATS_TEST_TMPDIR/skopeo"
	PATH=$BATS_TEST_TMPDIR:$PATH refused "skopeo failed: killed midway" --tls-verify=false "127.0.0.1:$REG/qpod/busybox:1"
	[ -z "$(ls -A "$QPOD_CACHE/refs")" ]
	PATH=$BATS_FILE_TMPDIR/failing:$PATH refused "not in the cache" --pull never "127.0.0.1:$REG/qpod/busybox:1"
}

# ---- containers-storage and dir: ---------------------------------------------

@test "containers-storage:[vfs@ROOT+RUNROOT]NAME from a private buildah root" {
	need_images
	local S=$BATS_TEST_TMPDIR/storage c mnt
	local B=(buildah --root "$S/root" --runroot "$S/run" --storage-driver vfs)
	c=$("${B[@]}" from scratch)
	mnt=$("${B[@]}" mount "$c")
	mkdir -p "$mnt/bin"
	cp /bin/busybox "$mnt/bin/"
	ln -s busybox "$mnt/bin/sh"
	"${B[@]}" config --cmd '["sh", "-c", "echo from-buildah"]' "$c"
	"${B[@]}" commit -q "$c" qpod/built:1 > /dev/null
	"${B[@]}" rm "$c" > /dev/null
	run ./run "containers-storage:[vfs@$S/root+$S/run]localhost/qpod/built:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-buildah ]
	PATH=$BATS_FILE_TMPDIR/failing:$PATH packed "containers-storage:[vfs@$S/root+$S/run]localhost/qpod/built:1"
	refused "no such image" "containers-storage:[vfs@$S/root+$S/run]localhost/qpod/absent:1"
}

@test "dir: (skopeo's directory transport) is copied in" {
	skopeo copy -q "docker-archive:$BUSYBOX_TAR" "dir:$BATS_TEST_TMPDIR/d"
	packed "dir:$BATS_TEST_TMPDIR/d"
	[ -x "$R/bin/busybox" ]
	clean_tmp
}

# ---- image directories -----------------------------------------------------------

@test "an OCI layout directory with one image: DIR, oci:DIR, oci:DIR:REF; ./run boots it" {
	need_images
	local L=$BATS_TEST_TMPDIR/layout
	skopeo copy -q "docker-archive:$BUSYBOX_TAR" "oci:$L:latest"
	packed "$L"
	local id=$ID
	packed "oci:$L"
	[ "$ID" = "$id" ]
	[ "$(jq -r .unpacked <<<"$output")" = false ]
	packed "oci:$L:latest"
	[ "$ID" = "$id" ]
	run ./run "$L" sh -c 'echo layout; cat /etc/hostname >/dev/null; ls /bin/busybox'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = layout ]
	refused "no image named nope (has: latest)" "$L:nope"
	refused "not a directory" "oci:$BUSYBOX_TAR"
}

@test "an OCI layout with several images: named ones by REF, none named lists them" {
	local L=$BATS_TEST_TMPDIR/layout
	skopeo copy -q "docker-archive:$BUSYBOX_TAR" "oci:$L:one"
	skopeo copy -q "docker-archive:$FIX/snyk-skopeo-docker-archive-busybox.tar" "oci:$L:two"
	packed "$L:one"
	local one=$ID
	packed "oci:$L:two"
	[ "$ID" != "$one" ]
	refused "holds 2 images; name one as $L:NAME (has: one, two)" "$L"
	jq 'del(.manifests[].annotations)' "$L/index.json" > "$L/i"
	mv "$L/i" "$L/index.json"
	refused "holds 2 images; name one as $L:NAME (has: (unnamed), (unnamed))" "$L"
}

@test "the multiarch fixture unpacked into a directory reads as a layout (nested index, amd64 blobs only)" {
	local D=$BATS_TEST_TMPDIR/containerd
	mkdir -p "$D"
	tar -C "$D" -xf "$FIX/snyk-containerd-export-busybox-multiarch-index.tar"
	rm "$D/manifest.json"
	packed "$D"
	[ -x "$R/bin/busybox" ]
	refused "manifest blob sha256:8f03917912ea... is not in the archive" --platform linux/arm64/v8 "$D"
}

@test "an unpacked docker save is an image, never a root; ./run boots it" {
	need_images
	local D=$BATS_TEST_TMPDIR/saved
	mkdir -p "$D"
	tar -C "$D" -xf "$BUSYBOX_TAR"
	packed "$D"
	[ -x "$R/bin/busybox" ]
	packed "$D:qpod/busybox:latest"
	run ./run "$D" echo saved
	[ "$status" -eq 0 ]
	[ "$output" = saved ]
	packed "$D"
	[ "$(jq -r .unpacked <<<"$output")" = false ]
}
