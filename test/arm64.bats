#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# arm64.bats: the arm64 guest end to end (qemu-system-aarch64 -M virt; on an
# x86_64 host under TCG): what runner.bats, parity.bats, network.bats and
# snapshot.bats check of the guest, once more against the arm64 kernel,
# initrd and hyperstart, and the choice of the guest by an image's platform.
#
# The images, and how each was made:
#   $ARM_IMAGES/busybox.tar  `make image ARCH=arm64`: packer/mkbusybox.sh of
#                            Debian's busybox-static:arm64 (linux/arm64/v8)
#   dive-oci-zstd-readme-arm64.tar  a public fixture (../shared/fixtures/
#                            images/SOURCES.md #3): BuildKit type=oci,zstd, one
#                            README.md, an arm64 config
#   multi.tar                skopeo copy of both busybox.tars into one OCI
#                            layout, its index.json made by jq: one entry per
#                            platform (setup_file)
#   s390x.tar                packer/mkbusybox.sh with ARCH s390x: a platform
#                            qpod has no guest for (its binary is never run)

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ARM_IMAGES=$OUT/images-arm64
	[ "$(uname -m)" != aarch64 ] || ARM_IMAGES=$OUT/images
	export ARM=$ARM_IMAGES/busybox.tar X86=$IMAGES/busybox.tar
	[ -f "$ARM" ] || return 0 # setup() fails each test, naming what is missing
	# The arm64 busybox as a root directory (9p), and beside the README image.
	export AROOT=$BATS_FILE_TMPDIR/aroot
	mkdir -p "$AROOT"
	tar -xOf "$ARM" "$(tar -xOf "$ARM" manifest.json | jq -r '.[0].Layers[0]')" | tar -xf - -C "$AROOT"
	export BB=$BATS_FILE_TMPDIR/bb
	mkdir -p "$BB"
	cp "$AROOT/bin/busybox" "$BB/busybox"
	head -c 10000000 /dev/urandom > "$BATS_FILE_TMPDIR/rand.bin"
	# multi.tar: one OCI layout with both images, an index by platform.
	local l=$BATS_FILE_TMPDIR/multi
	skopeo copy -q "docker-archive:$X86" "oci:$l:amd64"
	skopeo copy -q "docker-archive:$ARM" "oci:$l:arm64"
	jq '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [.manifests[] |
		{mediaType, digest, size, platform: {os: "linux", architecture: .annotations["org.opencontainers.image.ref.name"]}}]}' \
		"$l/index.json" > "$l/index.new"
	mv "$l/index.new" "$l/index.json"
	tar -C "$l" -cf "$BATS_FILE_TMPDIR/multi.tar" .
	SOURCE_DATE_EPOCH=1700000000 "$REPO/packer/mkbusybox.sh" /bin/busybox "$BATS_FILE_TMPDIR/s390x.tar" s390x
}

setup() {
	need_images
	[ -f "$ARM" ] || fail_now "missing: $ARM: run \`make image ARCH=arm64\` first"
	cd "$REPO"
}

teardown() {
	stop_bg
	[ -z "${QPOD_STATE:-}" ] || rm_all_vms
}

@test "arm64: uname -m in the guest is aarch64, by --platform and by the image's own platform" {
	run ./run --platform linux/arm64 "$ARM" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run ./run "$ARM" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run ./run --platform linux/arm64 "$AROOT" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
}

@test "arm64: the image's static arm64 busybox runs; exit codes 0, 1, 42, 126, 127 and 137" {
	run ./run "$ARM" sh -c 'file=$(head -c 20 /bin/busybox | od -An -tx1 -j18 -N2); echo $file'
	[ "$status" -eq 0 ]
	[ "$output" = "b7 00" ] # e_machine 183: EM_AARCH64
	for code in 0 1 42; do
		run ./run "$ARM" sh -c "exit $code"
		[ "$status" -eq "$code" ] || { echo "exit $code gave $status"; return 1; }
	done
	run -126 ./run "$ARM" /etc/passwd
	run -127 ./run "$ARM" no-such-command
	[[ "$output" == *"executable file not found"* ]]
	run -137 ./run "$ARM" sh -c 'kill -9 $$'
}

@test "arm64: SIGTERM to ./run reaches the command: 143" {
	./run "$ARM" sleep 60 &
	bg=$!
	local i
	for i in $(seq 300); do pgrep -f "qemu-system-aarch64" >/dev/null && break; sleep 0.1; done
	sleep 3 # TCG boots arm64 in well under that; the command is then running
	kill -TERM $bg
	wait $bg && status=0 || status=$?
	bg=
	[ "$status" -eq 143 ]
}

@test "arm64: stdin EOF ends cat; 10 MB of stdout arrive byte-exact" {
	run bash -c "printf 'abc\n' | ./run -i '$ARM' cat"
	[ "$status" -eq 0 ]
	[ "$output" = abc ]
	run bash -c "printf 'abc\n' | ./run '$ARM' cat"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	got=$(./run -v "$BATS_FILE_TMPDIR:/d:ro" "$ARM" cat /d/rand.bin | sha256sum)
	[ "$got" = "$(sha256sum < "$BATS_FILE_TMPDIR/rand.bin")" ]
}

@test "arm64: a volume round trip" {
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	echo from-host > "$vol/in.txt"
	run ./run -v "$vol:/v" "$ARM" sh -c 'cat /v/in.txt; uname -m > /v/out.txt'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$vol/out.txt")" = aarch64 ]
}

@test "arm64: -t gives a terminal with the host's window size" {
	tty_window "$ARM"
}

@test "arm64: -p: the host fetches a page the guest serves" {
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	./run -p "127.0.0.1:$port:80" "$ARM" sh -c 'mkdir /www && uname -m > /www/index.html && httpd -f -p 80 -h /www' &
	bg=$!
	local i
	for i in $(seq 600); do curl -sf -m 2 "http://127.0.0.1:$port/index.html" >/dev/null && break; sleep 0.1; done
	run curl -sf -m 30 "http://127.0.0.1:$port/index.html"
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
}

@test "arm64: a restored template keeps the guest's clock right" {
	rm -rf "$BATS_TEST_TMPDIR/cache"
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	run ./run --result "$BATS_TEST_TMPDIR/1.json" "$ARM" true
	[ "$status" -eq 0 ]
	[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/1.json")" = "cold; template saved" ]
	sleep 3 # the template's clock falls behind the host's
	run ./run --result "$BATS_TEST_TMPDIR/2.json" "$ARM" sh -c 'date +%s; t0=$(cut -d" " -f1 /proc/uptime); sleep 1; cut -d" " -f1 /proc/uptime; echo $t0'
	host=$(date +%s)
	[ "$status" -eq 0 ]
	[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/2.json")" = restored ]
	lines=(${output})
	echo "guest ${lines[0]} host $host"
	[ $((host - lines[0])) -ge 0 ]
	[ $((host - lines[0])) -le 5 ]
	# sleep 1 takes one second of the guest's monotonic clock, not less
	awk -v a="${lines[2]}" -v b="${lines[1]}" 'BEGIN { d = b - a; exit !(d >= 0.99 && d < 3) }'
}

@test "arm64: a cold boot has the host's wall clock (the PL031 RTC)" {
	run ./run --no-snapshot "$ARM" date +%s
	host=$(date +%s)
	[ "$status" -eq 0 ]
	[ $((host - output)) -ge 0 ]
	[ $((host - output)) -le 5 ]
}

@test "arm64: a public arm64 image (BuildKit OCI, zstd) boots the arm64 guest by itself" {
	img=$(fixtures_dir)/dive-oci-zstd-readme-arm64.tar
	run ./run -v "$BB:/bb:ro" "$img" /bb/busybox sh -c '/bb/busybox uname -m; /bb/busybox ls /'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = aarch64 ]
	[[ "$output" == *README.md* ]]
}

@test "arm64: a multi-platform index runs the host's platform unless --platform says otherwise" {
	run ./run "$BATS_FILE_TMPDIR/multi.tar" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = "$(uname -m)" ]
	run ./run --platform linux/arm64 "$BATS_FILE_TMPDIR/multi.tar" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run ./run --platform linux/amd64 "$BATS_FILE_TMPDIR/multi.tar" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = x86_64 ]
	run -125 ./run --platform linux/riscv64 "$BATS_FILE_TMPDIR/multi.tar" true
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no linux/riscv64 variant (has: "*"linux/amd64"*"linux/arm64"* ]]
}

@test "arm64: an image for an arch qpod has no guest for: 125, one line naming the platforms, no qemu" {
	run -125 ./run --result "$BATS_TEST_TMPDIR/r.json" "$BATS_FILE_TMPDIR/s390x.tar" true
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"is linux/s390x: qpod has guests for linux/amd64, linux/arm64 only"* ]]
	# refused before qemu: no kernel ran, no qemu to measure
	[ "$(jq -c '[.timingsUs.kernelEntered, .qemuMaxRssKb]' "$BATS_TEST_TMPDIR/r.json")" = "[null,null]" ]
}

@test "arm64: --accel kvm is refused for a guest of another arch; --boot fwcfg too" {
	[ "$(uname -m)" != aarch64 ] || skip "cannot run here: the host is arm64 (the guest is native)"
	run -125 ./run --accel kvm "$ARM" true
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--accel kvm: an arm64 guest on this host runs under TCG only"* ]]
	run -125 ./run --boot fwcfg "$ARM" true
	[[ "$output" == *"an arm64 guest boots direct"* ]]
}

@test "arm64: a detached VM: run -d, exec, logs, rm" {
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
	run ./qpod run -d --name a64 "$ARM" sh -c 'uname -m; sleep 600'
	[ "$status" -eq 0 ]
	run ./qpod exec a64 uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run ./qpod logs a64
	[ "$output" = aarch64 ]
	run ./qpod rm -f a64
	[ "$status" -eq 0 ]
	run ./qpod ps -aq
	[ "$output" = "" ]
}
