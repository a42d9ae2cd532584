#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# images.bats: ./run on the real image archives in the fixtures (see
# ../shared/fixtures/images/SOURCES.md), booting a VM for each: the image's
# config is honoured and its layers and whiteouts are right as the guest
# sees them. packer.bats checks the unpacked trees in detail, without VMs.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	FIX=$(fixtures_dir)
	export FIX
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
}

setup() {
	need_images
	[ -d "$FIX" ] || fail_now "fixtures missing: $FIX"
	cd "$REPO"
}

@test "README: ./run out/images/busybox.tar echo hello" {
	run ./run "$IMAGES/busybox.tar" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "docker 25 save: hello-world runs its Cmd" {
	run ./run "$FIX/snyk-docker25-save-hello-world-amd64.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Hello from Docker!"* ]]
}

@test "docker save, 14 layers: whiteouts of a file and of a directory" {
	run ./run "$FIX/dive-docker-save-busybox-14layers.tar" ls -a /root
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = ". .. .data .saved.txt saved.txt" ]
}

@test "kaniko tarball, gzip layers: the same tree" {
	run ./run "$FIX/dive-kaniko-tarball-busybox-14layers-gzip.tar" ls -a /root
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = ". .. .data .saved.txt saved.txt" ]
}

@test "OCI layout: whiteout and opaque directories" {
	run -0 ./run "$FIX/snyk-oci-busybox-3layers-whiteout-opaque.tar" sh -c 'ls /node; echo rc=$?'
	[[ "$output" == *"No such file or directory"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "containerd export, multi-platform index: the amd64 image runs" {
	run -0 ./run "$FIX/snyk-containerd-export-busybox-multiarch-index.tar" busybox
	[[ "$output" == *"BusyBox v1.36.1"* ]]
}

@test "alpine (musl, dynamic): apk runs; a gzip'd whole archive works" {
	run ./run "$FIX/snyk-containerd-export-alpine-3.14.tar" cat /etc/alpine-release
	[ "$status" -eq 0 ]
	[ "$output" = 3.14.9 ]
	run ./run "$FIX/trivy-docker-save-alpine-3.10.tar.gz" sh -c 'cat /etc/alpine-release && apk --version'
	[ "$status" -eq 0 ]
	[[ "$output" == *"3.10.4"*"apk-tools"* ]]
}

@test "skopeo docker-archive with a symlinked layer" {
	run -0 ./run "$FIX/snyk-skopeo-docker-archive-busybox.tar" busybox
	[[ "$output" == *"BusyBox v1.31.1"* ]]
}

@test "an arm64-only image asked for as linux/amd64 is refused with the reason (arm64.bats runs it)" {
	run ./run --platform linux/amd64 "$FIX/dive-oci-zstd-readme-arm64.tar" true
	[ "$status" -eq 125 ]
	[ "$output" = "qpod: $FIX/dive-oci-zstd-readme-arm64.tar: the image has no linux/amd64 variant (has: linux/arm64)" ]
}

@test "an image without a command and none given is an error that says so" {
	run ./run "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no command given"*"no Entrypoint or Cmd"* ]]
}

@test "the image's Env and WorkingDir, -e on top, --entrypoint" {
	run -0 ./run -e EXTRA=1 "$FIX/snyk-containerd-export-alpine-3.14.tar" sh -c 'echo "$PATH $EXTRA $(pwd)"'
	[ "$output" = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin 1 /" ]
	# hello-world has no /bin/echo: 127 shows the entrypoint really replaced /hello
	run -127 ./run --entrypoint /bin/echo "$FIX/snyk-docker25-save-hello-world-amd64.tar" replaced
	run -0 ./run --entrypoint /hello "$FIX/snyk-docker25-save-hello-world-amd64.tar"
	[[ "$output" == *"Hello from Docker!"* ]]
}
