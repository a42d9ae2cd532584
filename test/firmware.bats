#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# firmware: qboot.rom, bios-qboot.bin and cbfs.rom (firmware/firmware.mk).
# Checks the images against their sources, rebuilds them to compare bytes,
# and boots hyperstart from CBFS flash alone (no -kernel) up to its READY
# frame. Images come from $QPOD_OUT/images (default out/images); a test whose
# images are missing fails (need_images, helpers.bash).

load helpers

setup() {
	cd "$REPO" || return 1
	IMG=$IMAGES
	T=$BATS_TEST_TMPDIR
}

be32() { # be32 FILE OFFSET: the big-endian u32 at OFFSET
	local b
	read -ra b < <(od -An -tu1 -j "$2" -N4 "$1")
	[ ${#b[@]} = 4 ] || return 1
	echo $(( (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3] ))
}

ready_frame() { # ready_frame FILE: starts with type 8 (READY), total length >= 8
	local type len
	type=$(be32 "$1" 0) && len=$(be32 "$1" 4) || return 1
	[ "$type" = 8 ] && [ "$len" -ge 8 ]
}

# boot_ready NAME QEMU-ARGS...: boot with hyperstart's two ports on files and
# succeed once a READY frame is on the control port (deadline 30 s). On
# failure, print the console log.
boot_ready() {
	local name=$1 pid t0 t1
	shift
	t0=$(date +%s%N)
	timeout 30 qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -no-reboot \
		-display none -m 128 "$@" \
		-device virtio-serial-pci \
		-chardev file,id=ctl,path="$T/ctl.out" \
		-device virtserialport,chardev=ctl,name=sh.hyper.channel.0 \
		-chardev file,id=st,path="$T/st.out" \
		-device virtserialport,chardev=st,name=sh.hyper.channel.1 \
		-serial file:"$T/console.log" 3>&- &
	pid=$!
	# hyperstart then waits for commands: stop qemu as soon as READY is in.
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(stat -c %s "$T/ctl.out" 2>/dev/null || echo 0)" -ge 8 ] && break
		sleep 0.02
	done
	t1=$(date +%s%N)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	if ready_frame "$T/ctl.out"; then
		echo "# $name: READY $(( (t1 - t0) / 1000000 )) ms after qemu start" >&3
		return 0
	fi
	echo "$name: no READY frame on sh.hyper.channel.0 within 30 s; console:"
	cat "$T/console.log" 2>/dev/null
	return 1
}

@test "qboot.rom, the default firmware, boots hyperstart over fw_cfg to READY" {
	need_images qboot.rom vmlinuz initrd.img cmdline
	boot_ready qboot.rom -bios "$IMG/qboot.rom" -kernel "$IMG/vmlinuz" \
		-initrd "$IMG/initrd.img" -append "$(cat "$IMG/cmdline")"
}

# firmware.mk builds bios-qboot.bin from the pinned source by a rule of its
# own, not meson: without the patch that rule must make Debian's qboot.rom
# byte for byte, or bios-qboot.bin carries more than the patch.
@test "our qboot build without the CBFS patch is Debian's qboot.rom, byte for byte; with it, not" {
	need_images qboot.rom bios-qboot.bin
	run make O="$T/plain" QBOOT_PATCHES= "$T/plain/images/bios-qboot.bin"
	[ "$status" = 0 ] || { echo "$output"; false; }
	[ ! -e "$T/plain/obj/firmware/qboot/cbfs.c" ]
	cmp "$T/plain/images/bios-qboot.bin" /usr/share/qemu/qboot.rom
	cmp "$IMG/qboot.rom" /usr/share/qemu/qboot.rom
	run cmp -s "$IMG/bios-qboot.bin" "$IMG/qboot.rom"
	[ "$status" -eq 1 ]
}

@test "cbfs.rom holds vmlinuz, initrd and cmdline, raw and byte for byte" {
	need_images cbfs.rom vmlinuz initrd.img cmdline
	run cbfstool "$IMG/cbfs.rom" print
	[ "$status" = 0 ] || { echo "$output"; false; }
	local name file
	for name in vmlinuz:vmlinuz initrd:initrd.img cmdline:cmdline; do
		file=${name#*:} name=${name%%:*}
		echo "$output" | awk -v n="$name" '$1 == n && $3 == "raw" && $5 == "none" { f = 1 } END { exit !f }' ||
			{ echo "no raw uncompressed '$name' in:"; echo "$output"; false; }
		cbfstool "$IMG/cbfs.rom" extract -n "$name" -f "$T/$name" >/dev/null
		cmp "$T/$name" "$IMG/$file"
	done
}

@test "flash images fit qemu's pflash window, cbfs.rom as small as fits" {
	need_images bios-qboot.bin cbfs.rom
	local bios cbfs empty
	bios=$(stat -c %s "$IMG/bios-qboot.bin")
	cbfs=$(stat -c %s "$IMG/cbfs.rom")
	[ "$bios" = 65536 ]
	[ $(( cbfs % 4096 )) = 0 ]
	[ "$cbfs" -gt 0 ]
	[ $(( bios + cbfs )) -le $(( 8 << 20 )) ]
	# Less free space than one 4 KiB sector, or a smaller image would do.
	empty=$(cbfstool "$IMG/cbfs.rom" print | awk '$1 == "(empty)" { s += $4 } END { print s + 0 }')
	[ "$empty" -lt 4096 ] || { echo "cbfs.rom has $empty bytes free"; false; }
	echo "# bios-qboot.bin $bios B, cbfs.rom $cbfs B ($empty B free)" >&3
}

@test "bios-qboot.bin builds reproducibly (two O dirs)" {
	need_images bios-qboot.bin
	local o
	for o in a b; do
		run make O="$T/$o" "$T/$o/images/bios-qboot.bin"
		[ "$status" = 0 ] || { echo "$output"; false; }
	done
	cmp "$T/a/images/bios-qboot.bin" "$T/b/images/bios-qboot.bin"
	cmp "$T/a/images/bios-qboot.bin" "$IMG/bios-qboot.bin"
}

@test "cbfs.rom builds reproducibly" {
	need_images cbfs.rom vmlinuz initrd.img cmdline
	local n
	for n in 1 2; do
		# 8 MiB pflash window minus qboot's 64 KiB, as in firmware.mk
		firmware/mkcbfs.sh "$T/cbfs$n.rom" 8323072 vmlinuz="$IMG/vmlinuz" \
			initrd="$IMG/initrd.img" cmdline="$IMG/cmdline"
	done
	cmp "$T/cbfs1.rom" "$T/cbfs2.rom"
	cmp "$T/cbfs1.rom" "$IMG/cbfs.rom"
}

@test "CBFS boot: flash alone boots hyperstart to READY" {
	need_images bios-qboot.bin cbfs.rom
	boot_ready cbfs \
		-drive if=pflash,format=raw,readonly=on,file="$IMG/bios-qboot.bin" \
		-drive if=pflash,format=raw,readonly=on,file="$IMG/cbfs.rom"
}

@test "bios-qboot.bin without CBFS still boots from fw_cfg" {
	need_images bios-qboot.bin vmlinuz initrd.img cmdline
	boot_ready fw_cfg -bios "$IMG/bios-qboot.bin" -kernel "$IMG/vmlinuz" \
		-initrd "$IMG/initrd.img" -append "$(cat "$IMG/cmdline")"
}

@test "a corrupt CBFS is refused, with a message, and fw_cfg boots" {
	need_images bios-qboot.bin cbfs.rom vmlinuz initrd.img cmdline
	local off
	# vmlinuz's data length, 8 bytes into its entry, now runs past the flash.
	off=$(cbfstool "$IMG/cbfs.rom" print | awk '$1 == "vmlinuz" { print $2 }')
	[ -n "$off" ]
	off=$(( off ))
	cp "$IMG/cbfs.rom" "$T/bad.rom"
	printf '\177\377\377\360' | dd of="$T/bad.rom" bs=1 seek=$(( off + 8 )) conv=notrunc status=none
	boot_ready corrupt-cbfs \
		-drive if=pflash,format=raw,readonly=on,file="$IMG/bios-qboot.bin" \
		-drive if=pflash,format=raw,readonly=on,file="$T/bad.rom" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" -append "$(cat "$IMG/cmdline")"
	grep -q 'qboot: cbfs: bad file chain' "$T/console.log" ||
		{ echo "no 'qboot: cbfs:' line; console:"; cat "$T/console.log"; false; }
}
