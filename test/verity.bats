#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# verity.bats: a bundle's root stays verified for the VM's whole life
# (issue 26, finding 2; bundle/verity.c). The rootfs part is the squashfs
# and its dm-verity hash tree, the root hash is in the bundle's signed
# kernel command line, the guest mounts /dev/dm-0. Checked with the field's
# tool (veritysetup verify on the extracted part), then attacked: a byte of
# the root changed in the bundle file after qpod verify, while a VM runs
# and before it reads that block: the guest reads an I/O error, never the
# changed data; the next run refuses the file (125, one line).
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache SOURCE_DATE_EPOCH=1700000000
	# A root with a file no run reads before the test does: 1 MiB around a
	# marker that stands once in the root's squashfs (stored uncompressed).
	local root=$BATS_FILE_TMPDIR/root
	mk_bbroot "$root"
	mkdir -p "$root/data"
	python3 -c 'import sys; sys.stdout.buffer.write(b"A" * 524288 + b"QPOD-VERITY-MARK" + b"B" * 524272)' > "$root/data/blob"
	export APP=$BATS_FILE_TMPDIR/app.qpod
	"$QPOD" bundle "$root" -o "$APP" > /dev/null
}

setup() {
	need_images
	cd "$BATS_TEST_TMPDIR"
}

# The rootfs part's digest and size, from inspect.
part() {
	"$QPOD" inspect "$APP" | jq -r ".parts[] | select(.part == \"rootfs\") | .$1"
}

@test "the rootfs is the squashfs and its hash tree; the signed command line holds the root hash; veritysetup agrees" {
	local cl hex d blocks
	cl=$("$QPOD" inspect "$APP" | jq -r .kernel.cmdline)
	[[ "$cl" == *' dm-mod.create="qpod-root,,,ro,0 '*' verity 1 /dev/vda /dev/vda 4096 4096 '*' sha256 '*' -"' ]]
	hex=$(sed -E 's/.* sha256 ([0-9a-f]{64}) -".*/\1/' <<<"$cl")
	[ ${#hex} -eq 64 ]
	blocks=$(sed -E 's/.* 4096 4096 ([0-9]+) [0-9]+ sha256.*/\1/' <<<"$cl")
	d=$(part digest)
	tar -xOf "$APP" "blobs/sha256/${d#sha256:}" > rootfs
	[ "$(stat -c %s rootfs)" -gt $((blocks * 4096)) ]
	veritysetup verify --no-superblock --salt=- --hash-offset=$((blocks * 4096)) --data-blocks="$blocks" \
		rootfs rootfs "$hex"
	# the field's tool also sees a changed byte
	printf 'X' | dd of=rootfs bs=1 seek=100000 conv=notrunc status=none
	run veritysetup verify --no-superblock --salt=- --hash-offset=$((blocks * 4096)) --data-blocks="$blocks" \
		rootfs rootfs "$hex"
	[ "$status" -ne 0 ]
	# and the guest mounts the mapping, not the disk
	run "$QPOD" run --network none "$APP" cat /sys/block/dm-0/dm/name
	[ "$status" -eq 0 ]
	[ "$output" = qpod-root ]
}

@test "a block changed after verify, while a VM runs: the guest reads an I/O error; the next run refuses the file" {
	cp "$APP" app.qpod
	"$QPOD" verify app.qpod
	"$QPOD" run --network none app.qpod true
	local off start
	# the marker in the root's squashfs (the image layer has it too)
	start=$(part offset)
	off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); m = b"QPOD-VERITY-MARK"; s = int(sys.argv[2]); assert d.count(m, s) == 1; print(d.index(m, s))' app.qpod "$start")
	"$QPOD" run --network none app.qpod sh -c 'sleep 4; if cat /data/blob > /tmp/x; then grep -c QPOD-XERITY /tmp/x; echo read; else echo refused; fi' \
		> vm.out 2> vm.err &
	local pid=$!
	sleep 2
	printf 'X' | dd of=app.qpod bs=1 seek=$((off + 5)) conv=notrunc status=none
	wait "$pid"
	cat vm.out vm.err
	[ "$(tail -1 vm.out)" = refused ]
	grep -q "Input/output error" vm.err
	refused_line "the rootfs" "$QPOD" run --network none app.qpod true
	[[ "$stderr" == *"does not match its digest"* ]]
}
