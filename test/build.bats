#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# build.bats: the kernel, initrd and manifest that `make image` leaves in
# $QPOD_OUT/images, and a TCG boot of them to hyperstart's READY frame.
# A test whose images are missing fails (need_images, helpers.bash).

load helpers
IMG=$IMAGES

fail() { echo "$*" >&2; return 1; }

@test "make image leaves the kernel, initrd, cmdline, config and manifest" {
	local f missing=
	for f in vmlinuz initrd.img cmdline kernel.config manifest.json; do
		[ -s "$IMG/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || fail "missing or empty in $IMG:$missing"
}

@test "vmlinuz is a bzImage of at most 2.25 MiB" {
	need_images vmlinuz
	[ "$(dd if="$IMG/vmlinuz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] ||
		fail "$IMG/vmlinuz has no bzImage header (HdrS at 0x202)"
	local size=$(stat -c %s "$IMG/vmlinuz")
	[ "$size" -le 2359296 ] || fail "vmlinuz is $size bytes, over the 2.25 MiB budget"
}

@test "kernel.config has what the guest needs and none of what it must not" {
	need_images kernel.config
	local c=$IMG/kernel.config o bad=
	for o in PCI_MSI 9P_FS NET_9P_VIRTIO OVERLAY_FS TMPFS_XATTR DEVTMPFS VIRTIO_PCI \
		VIRTIO_CONSOLE SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP BINFMT_SCRIPT UNIX INET; do
		grep -qx "CONFIG_$o=y" "$c" || bad="$bad CONFIG_$o is not y;"
	done
	for o in MODULES SERIO INPUT VT FB SOUND USB_SUPPORT ATA SCSI IPV6 WLAN DEBUG_INFO; do
		if grep -q "^CONFIG_$o=" "$c"; then bad="$bad CONFIG_$o is set;"; fi
	done
	[ -z "$bad" ] || fail "kernel.config:$bad"
}

@test "cmdline is one line with the serial console and panic=-1" {
	need_images cmdline
	[ "$(wc -l < "$IMG/cmdline")" = 1 ] || fail "cmdline must be exactly one line"
	local c=" $(cat "$IMG/cmdline") "
	[[ $c == *" console=ttyS0 "* ]] || fail "cmdline has no console=ttyS0: $c"
	[[ $c == *" panic=-1 "* ]] || fail "cmdline has no panic=-1: $c"
}

@test "initrd.img is a gzip'd cpio with /init, /dev/console, owned by root, within 64 KiB" {
	need_images initrd.img
	command -v cpio >/dev/null || fail "cpio is not installed (toolchain/packages-test)"
	local size=$(stat -c %s "$IMG/initrd.img")
	[ "$size" -le 65536 ] || fail "initrd.img is $size bytes, over 64 KiB"
	run bash -c "zcat '$IMG/initrd.img' | cpio -itvn --quiet"
	[ "$status" = 0 ] || fail "cpio cannot list initrd.img: $output"
	echo "$output"
	grep -Eq '^-rwxr-xr-x +1 0 +0 .* init$' <<<"$output" || fail "no executable /init owned 0:0"
	grep -Eq '^crw------- +1 0 +0 +5, +1 .* dev/console$' <<<"$output" || fail "no /dev/console 5:1"
	! grep -Ev '^[^ ]+ +[0-9]+ 0 +0 ' <<<"$output" | grep -q . || fail "an entry not owned by 0:0"
}

@test "manifest.json is valid and matches the files" {
	need_images manifest.json
	command -v jq >/dev/null || fail "jq is not installed (toolchain/packages-test)"
	local m=$IMG/manifest.json name size sum n=0
	jq -e . "$m" >/dev/null || fail "manifest.json is not valid JSON"
	[ "$(jq -r .cmdline "$m")" = "$(cat "$IMG/cmdline")" ] || fail "manifest cmdline differs from cmdline"
	grep -q "^# Linux/x86_64 $(jq -r .kernel "$m") Kernel Configuration" "$IMG/kernel.config" ||
		fail "manifest kernel $(jq -r .kernel "$m") is not kernel.config's version"
	while read -r name size sum; do
		n=$((n + 1))
		[ -f "$IMG/$name" ] || fail "manifest lists $name, which is not in $IMG"
		[ "$(stat -c %s "$IMG/$name")" = "$size" ] || fail "$name: size differs from the manifest"
		[ "$(sha256sum < "$IMG/$name" | cut -d' ' -f1)" = "$sum" ] || fail "$name: sha256 differs from the manifest"
	done < <(jq -r '.files[] | "\(.name) \(.size) \(.sha256)"' "$m")
	[ "$n" = "$(find "$IMG" -maxdepth 1 -type f ! -name manifest.json | wc -l)" ] ||
		fail "manifest lists $n files, $IMG has a different number"
}

# config_fails FRAGMENT LINE: the default fragments with LINE added to
# FRAGMENT (a new one if none has that name): make kernel-config fails;
# $output is what it said, $t the test's folder.
config_fails() {
	t=$BATS_TEST_TMPDIR
	cp -r "$REPO/configs/kernel" "$t/frag"
	echo "$2" >> "$t/frag/$1"
	run make -C "$REPO" -s O="$t/out" KERNEL_FRAGMENTS_DIR="$t/frag" kernel-config
	echo "$output"
	[ "$status" != 0 ] || fail "make kernel-config succeeded with $2 in $1"
}

@test "an unknown fragment option fails the config step, naming option and fragment" {
	local t
	config_fails net.config CONFIG_DOES_NOT_EXIST=y
	[[ $output == *"kernel: CONFIG_DOES_NOT_EXIST=y from $t/frag/net.config is not in the resolved config"* ]] ||
		fail "the error does not name the option and its fragment"
	[ ! -e "$t/out/images/vmlinuz" ] || fail "a kernel was installed despite the bad fragment"
}

@test "an option whose dependency is off fails the config step" {
	local t=$BATS_TEST_TMPDIR
	cp -r "$REPO/configs/kernel" "$t/frag"
	sed -i '/^CONFIG_NETWORK_FILESYSTEMS=y/d' "$t/frag/fs.config"
	run make -C "$REPO" -s O="$t/out" KERNEL_FRAGMENTS_DIR="$t/frag" kernel-config
	echo "$output"
	[ "$status" != 0 ] || fail "make kernel-config succeeded without NETWORK_FILESYSTEMS"
	[[ $output == *"CONFIG_9P_FS=y from $t/frag/fs.config is not in the resolved config"* ]] ||
		fail "the error does not name CONFIG_9P_FS"
}

# kernel.sh asks Kconfig itself (kernel/kconfig-query.c) why an option did
# not survive: I6300ESB_WDT sits inside `if WATCHDOG` and needs it.
@test "an option whose dependency is off names that dependency, from Kconfig" {
	local t
	config_fails watchdog.config CONFIG_I6300ESB_WDT=y
	[[ $output == *"kernel:   CONFIG_I6300ESB_WDT: drivers/watchdog/Kconfig:"*": depends on WATCHDOG [=n] && PCI [=y]"* ]] ||
		fail "the error does not give the option's Kconfig dependency"
	[[ $output == *"kernel:   CONFIG_I6300ESB_WDT: needs CONFIG_WATCHDOG=y"* ]] ||
		fail "the error does not name the missing CONFIG_WATCHDOG"
}

# The resolved .config is checked against, never read as a fragment: a
# conflict names the two fragments and nothing in the cache.
@test "a conflict between fragments blames the fragments only" {
	local t
	config_fails net.config CONFIG_IPV6=y
	[[ $output == *"kernel: CONFIG_IPV6=y from $t/frag/net.config conflicts with # CONFIG_IPV6 is not set from $t/frag/net.config"* ]] ||
		fail "the conflict is not reported"
	[ "$(grep -c 'conflicts with' <<<"$output")" = 1 ] || fail "more than one conflict line for one conflict"
	! grep -q '/\.config' <<<"$output" || fail "a line blames a resolved .config"
}

# menu_key KEYS WANT: send KEYS to the menuconfig in tmux session $tm and
# wait (15 s at most) until its screen shows WANT.
menu_key() {
	local i
	[ -z "$1" ] || tmux send-keys -t "$tm" "$1"
	for ((i = 0; i < 150; i++)); do
		tmux capture-pane -p -t "$tm" | grep -q -- "$2" && return 0
		sleep 0.1
	done
	tmux capture-pane -p -t "$tm"
	fail "menuconfig never showed: $2"
}

# The defaults less CONFIG_AIO=y; the real menuconfig (driven through tmux)
# turns AIO on again; savefragment writes that one line; a fresh O= with
# the new fragment resolves the default config and takes the default kernel.
@test "kernel-menuconfig and kernel-savefragment: a change in the menu comes back as a fragment, and a clean build has it" {
	need_images vmlinuz kernel.config
	local t=$BATS_TEST_TMPDIR tm=qpod-menu-$$ i
	cp -r "$REPO/configs/kernel" "$t/frag"
	sed -i '/^CONFIG_AIO=y$/d' "$t/frag/base.config"
	local mk=(make -C "$REPO" O="$t/out" KERNEL_FRAGMENTS_DIR="$t/frag")
	run "${mk[@]}" -s kernel-config
	[ "$status" = 0 ] || fail "kernel-config without AIO failed: $output"
	grep -qx '# CONFIG_AIO is not set' "$t/out/obj/kernel/kernel.config" || fail "AIO is on without its line"
	tmux new-session -d -s "$tm" -x 160 -y 48 "${mk[*]} kernel-menuconfig; echo \$? > $t/rc; sleep 60"
	menu_key "" "Arrow keys navigate"
	menu_key / "Enter (sub)string"
	tmux send-keys -t "$tm" '^AIO$'
	menu_key Enter "(1) .*Enable AIO support"
	menu_key 1 "\[ \]   Enable AIO support"
	menu_key y "\[\*\]   Enable AIO support"
	for ((i = 0; i < 8; i++)); do
		tmux send-keys -t "$tm" Escape
		sleep 0.2
		tmux send-keys -t "$tm" Escape
		sleep 0.8
		tmux capture-pane -p -t "$tm" | grep -q "save your new configuration" && break
	done
	menu_key Enter "End of the configuration"
	for ((i = 0; i < 100; i++)); do [ -s "$t/rc" ] && break; sleep 0.1; done
	tmux kill-session -t "$tm"
	[ "$(cat "$t/rc")" = 0 ] || fail "make kernel-menuconfig exited $(cat "$t/rc")"
	grep -qx CONFIG_AIO=y "$t/out/obj/kernel/menuconfig.config" || fail "the menu's change is not in menuconfig.config"
	run "${mk[@]}" -s kernel-savefragment FRAGMENT="$t/frag/aio.config"
	echo "$output"
	[ "$status" = 0 ] || fail "kernel-savefragment failed"
	[ "$(grep -v '^# aio.config' "$t/frag/aio.config")" = CONFIG_AIO=y ] || fail "the fragment is not the one change: $(cat "$t/frag/aio.config")"
	run make -C "$REPO" O="$t/clean" KERNEL_FRAGMENTS_DIR="$t/frag" kernel
	[ "$status" = 0 ] || fail "a clean make kernel with the new fragment failed: $output"
	grep -qx CONFIG_AIO=y "$t/clean/images/kernel.config" || fail "the clean build's config lacks CONFIG_AIO=y"
	cmp "$t/clean/images/kernel.config" "$IMG/kernel.config" || fail "the fragments no longer resolve to the default config"
	cmp "$t/clean/images/vmlinuz" "$IMG/vmlinuz" || fail "the clean build's kernel is not the default one"
}

@test "a fresh O= takes the kernel from the cache in seconds; a second make does nothing" {
	need_images vmlinuz
	local t=$BATS_TEST_TMPDIR
	SECONDS=0
	run make -C "$REPO" O="$t/out" kernel
	echo "$output"
	[ "$status" = 0 ] || fail "make kernel failed"
	[[ $output != *"kernel: building"* ]] || fail "the kernel was rebuilt, not taken from the cache"
	[ "$SECONDS" -le 30 ] || fail "make kernel from the cache took ${SECONDS}s"
	cmp "$t/out/images/vmlinuz" "$IMG/vmlinuz" || fail "the cached vmlinuz differs from $IMG/vmlinuz"
	local before=$(stat -c %Y.%y "$t/out/images/vmlinuz" "$t/out/obj/kernel/kernel.config")
	run make -C "$REPO" O="$t/out" kernel
	[ "$status" = 0 ] || fail "a second make kernel failed: $output"
	[[ $output != *"kernel:"* ]] || fail "a second make kernel did kernel work: $output"
	[ "$(stat -c %Y.%y "$t/out/images/vmlinuz" "$t/out/obj/kernel/kernel.config")" = "$before" ] ||
		fail "a second make kernel rewrote vmlinuz or the resolved config"
}

# The kernel built again from scratch: a private cache (its own source
# tree, patched tree and build folder) and another O=, against the one in
# $IMG (built in the shared cache; on CI by CI's own make image). The SMP
# kernel only: the uniprocessor one is the same build with one fragment
# less. Where they differ, diffoscope says how.
@test "the kernel is reproducible: a cold build in another build folder and O= gives the same bytes" {
	need_images vmlinuz vmlinux kernel.config
	local t=$BATS_TEST_TMPDIR f bad=
	seed_cache "$t/cache"
	SECONDS=0
	run nice make -C "$REPO" O="$t/out" QPOD_BUILD_CACHE="$t/cache" "$t/out/images/vmlinuz"
	echo "$output" | tail -n 5
	[ "$status" = 0 ] || fail "the second build failed"
	[[ $output == *"kernel: building"* ]] || fail "the kernel was not built anew"
	echo "# a cold kernel build took ${SECONDS}s" >&3
	for f in vmlinuz vmlinux kernel.config; do
		cmp -s "$t/out/images/$f" "$IMG/$f" && continue
		bad="$bad $f"
		diffoscope --text - --max-text-report-size 20000 "$IMG/$f" "$t/out/images/$f" 2>&1 | head -n 80
	done
	cmp -s "$t/out/obj/kernel/System.map" "$OUT/obj/kernel/System.map" || bad="$bad System.map"
	[ -z "$bad" ] || fail "two builds differ:$bad"
}

@test "initrd.img is reproducible: two O= dirs give the same bytes" {
	local t=$BATS_TEST_TMPDIR
	run make -C "$REPO" -s O="$t/a" initrd
	[ "$status" = 0 ] || fail "make initrd (a) failed: $output"
	run make -C "$REPO" -s O="$t/b" initrd
	[ "$status" = 0 ] || fail "make initrd (b) failed: $output"
	cmp "$t/a/images/initrd.img" "$t/b/images/initrd.img" || fail "initrd.img differs between two builds"
}

# boot CMDLINE DIR: boot the images under TCG with qboot and hyperstart's two
# ports; wait (20 s at most) for 8 bytes on the control port; stop qemu.
boot() {
	local cmdline=$1 d=$2 rom=$IMG/qboot.rom pid i
	[ -f "$rom" ] || rom=/usr/share/qemu/qboot.rom
	mkdir -p "$d"
	: > "$d/ctl.out"
	qemu-system-x86_64 -machine pc,accel=tcg -bios "$rom" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" -append "$cmdline" \
		-nodefaults -no-reboot -display none -m 128 \
		-device virtio-serial-pci \
		-chardev file,id=ctl,path="$d/ctl.out" -device virtserialport,chardev=ctl,name=sh.hyper.channel.0 \
		-chardev file,id=st,path="$d/st.out" -device virtserialport,chardev=st,name=sh.hyper.channel.1 \
		-serial file:"$d/console.log" 3>&- &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		[ "$(stat -c %s "$d/ctl.out")" -ge 8 ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

@test "the kernel boots the initrd under TCG with qboot and hyperstart sends READY" {
	need_images vmlinuz initrd.img cmdline
	command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed"
	local d=$BATS_TEST_TMPDIR start=$EPOCHREALTIME hdr type len
	boot "$(cat "$IMG/cmdline")" "$d/quiet"
	hdr=$(od -An -tx1 -N8 "$d/quiet/ctl.out" | tr -d ' \n')
	type=-1 len=-1
	if [ "${#hdr}" = 16 ]; then type=$((16#${hdr:0:8})) len=$((16#${hdr:8:8})); fi
	if [ "$type" != 8 ] || [ "$len" -lt 8 ]; then
		echo "control port: '$hdr' (want type 00000008, length >= 8)"
		echo "--- console (default cmdline):"
		cat "$d/quiet/console.log"
		echo "--- console again with loglevel=8 printk.time=1:"
		boot "$(cat "$IMG/cmdline") loglevel=8 printk.time=1" "$d/loud"
		cat "$d/loud/console.log"
		fail "no READY frame on sh.hyper.channel.0 within 20 s"
	fi
	echo "# READY (type $type, length $len) after $(echo "$EPOCHREALTIME - $start" | bc) s" >&3
}

# Every target a fragment declares .PHONY and every variable it lets a user
# set (?=, and O, V, EXTERNAL, FRAGMENT, config.mak) is in make help.
@test "make help names every target and every variable a user sets" {
	run make -C "$REPO" -s help
	[ "$status" = 0 ] || fail "make help failed"
	local w missing=
	for w in $(grep -h '^\.PHONY:' "$REPO"/Makefile "$REPO"/*/*.mk | cut -d: -f2 | tr ' ' '\n' | grep -vx -e FORCE -e firmware-refetch) \
		$(grep -h -o '^[A-Z_]* *?=' "$REPO"/Makefile "$REPO"/*/*.mk | tr -d ' ?=') V EXTERNAL FRAGMENT config.mak; do
		grep -qw -- "$w" <<<"$output" || missing="$missing $w"
	done
	[ -z "$missing" ] || fail "make help does not name:$missing"
}
