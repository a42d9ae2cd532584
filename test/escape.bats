#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# escape.bats: a hostile guest against the host, as hostile.bats is a
# hostile archive. Guest root tries what issue 25 found it could do: plant
# setuid files, devices, foreign owners and links in a rw volume; read the
# siblings of a single-file volume (through /proc/1/root, and by mounting
# the share itself); reach the host's loopback (at its gateway, any address
# of its network, and with a packet it builds itself for 127.0.0.1); flood
# its console. Each defence has a test here that fails without it. Also
# the host side's own files: --result and --console never write through a
# link or into what is not the caller's file, and a password never sits in
# qpod's command line.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	cp "$OUT/obj/test/guest/rawsyn" "$ROOT/bin/rawsyn"
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
}

setup() {
	need_images
	cd "$REPO"
}

teardown() {
	stop_bg
	rm_all_vms
}

# What guest root does in /rw, then how the guest sees it (sorted).
PLANT='cd /rw &&
	cp /bin/busybox suid && chmod 4755 suid &&
	cp /bin/busybox sgid && chmod 2755 sgid &&
	touch owned && chown 1234:1234 owned && chmod 6755 owned &&
	mknod cdev c 1 3 && mknod bdev b 8 0 && mkfifo fifo &&
	ln -s /etc/shadow shadowlink && ln -s ../../../.. up &&
	mkdir dir && chmod 1777 dir && ln suid dir/hard && echo data > dir/file && chown 99:99 dir/file &&
	cd /rw && find . | sort | xargs stat -c "%n %F %a %u:%g %h %N"'
VIEW='cd /rw && find . | sort | xargs stat -c "%n %F %a %u:%g %h %N"'

@test "guest root in a rw volume: the host gets no setuid, setgid, device, fifo, link or foreign owner; the next VM sees it all again" {
	vol=$BATS_TEST_TMPDIR/vol
	mkdir "$vol"
	run ./run -v "$vol:/rw" "$ROOT" sh -c "$PLANT"
	echo "$output"
	[ "$status" -eq 0 ]
	guest=$output
	[[ "$guest" == *"./suid regular file 4755 0:0"* ]]
	[[ "$guest" == *"./owned regular empty file 6755 1234:1234"* ]]
	[[ "$guest" == *"./cdev character special file"* ]]
	[[ "$guest" == *"./shadowlink symbolic link 777"*"-> '/etc/shadow'"* ]]
	ls -laR "$vol"
	[ -z "$(find "$vol" -perm /6000)" ]
	[ -z "$(find "$vol" ! -type f ! -type d)" ]
	[ -z "$(find "$vol" ! -uid 0 -o ! -gid 0)" ]
	[ -z "$(find "$vol" -mindepth 1 -perm /077)" ]
	# a host process reading the planted link reads a file, not /etc/shadow
	[ "$(cat "$vol/shadowlink")" = /etc/shadow ]
	# the round trip: what the guest wrote reads back the same in the next VM
	run ./run -v "$vol:/rw:ro" "$ROOT" sh -c "$VIEW"
	[ "$status" -eq 0 ]
	[ "$output" = "$guest" ]
}

@test "a single-file volume shares that file only: not through /proc/1/root, not by mounting the share" {
	d=$BATS_TEST_TMPDIR/home
	mkdir "$d"
	echo the-file > "$d/file"
	echo the-secret > "$d/secret"
	run ./run -v "$d/file:/f" "$ROOT" sh -c '
		cat /f
		ls -A /proc/1/root/run/qpod/vol0
		cat /proc/1/root/run/qpod/vol0/secret 2>/dev/null && echo LEAKED
		umount /f && nsenter -t 1 -m umount /run/qpod/vol0 || echo "cannot let the share go"
		mkdir /m && mount -t 9p -o trans=virtio,version=9p2000.L vol0 /m && ls -A /m
		cat /m/secret 2>/dev/null && echo LEAKED
		touch /m/new 2>/dev/null && echo MADE
		echo written > /m/file && cat /m/file'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'the-file\nfile\nfile\nwritten')" ]
	[ "$(cat "$d/file")" = written ]
	[ "$(ls -A "$d")" = "$(printf 'file\nsecret')" ]
}

# A TCP server on the host's 127.0.0.1 that logs each connection it accepts.
accept_server() {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
open(sys.argv[2], "w").close()
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("accepted %s\n" % (a,)); c.close()' "$port" "$BATS_TEST_TMPDIR/hits" &
	srv=$!
	for i in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/hits" ] && break; sleep 0.05; done
}

# The guest's own packets, built by rawsyn, through its gateway.
FRAMES='for dst in 127.0.0.1 10.0.2.2; do rawsyn 10.0.2.2 10.0.2.15 $dst $0 || exit 4; done; sleep 2'

@test "packets a guest builds itself for 127.0.0.1 or the gateway reach no server on the host's loopback" {
	accept_server
	run ./run "$ROOT" sh -c "$FRAMES" "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/hits"
	[ ! -s "$BATS_TEST_TMPDIR/hits" ]
}

@test "the same packets do reach it when the host's loopback is asked for (the attack is real)" {
	accept_server
	run ./run --network user:allow_host_loopback=true "$ROOT" sh -c "$FRAMES" "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q accepted "$BATS_TEST_TMPDIR/hits"
}

# The guest writes its console without a pause for 30 s.
FLOOD='mknod /tmp/serial c 4 64 && t=$(date +%s) &&
	while [ $(( $(date +%s) - t )) -lt 30 ]; do cat /bin/busybox; done > /tmp/serial; echo flooded'

@test "a guest that floods its console for 30 s: the console qpod keeps stays within 1 MiB" {
	./run "$ROOT" sh -c "$FLOOD" > "$BATS_TEST_TMPDIR/out" &
	bg=$!
	sleep 2
	con=$(for f in /proc/$bg/fd/*; do [ "$(readlink "$f")" = "/memfd:qpod-console (deleted)" ] && echo "$f"; done | head -1)
	[ -n "$con" ]
	max=0
	while kill -0 $bg 2>/dev/null; do
		used=$(( $(stat -L -c %b "$con" 2>/dev/null || echo 0) * 512 ))
		written=$(stat -L -c %s "$con" 2>/dev/null || echo 0)
		if [ "$used" -gt "$max" ]; then max=$used; fi
		if [ "$written" -gt 0 ]; then last=$written; fi
		sleep 0.5
	done
	wait $bg
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = flooded ]
	echo "written $last, most kept $max"
	[ "$last" -gt 1500000 ]
	[ "$max" -lt 1048576 ]
}

@test "--console FILE under a 30 s flood stays within 1 MiB on disk and ends with the newest bytes" {
	run ./run --console "$BATS_TEST_TMPDIR/con" "$ROOT" sh -c "$FLOOD; echo THE-END > /tmp/serial"
	[ "$status" -eq 0 ]
	[ "$output" = flooded ]
	size=$(stat -c %s "$BATS_TEST_TMPDIR/con")
	echo "size $size"
	[ "$size" -lt 1048576 ]
	[ "$size" -gt 100000 ]
	[ "$(tail -c 9 "$BATS_TEST_TMPDIR/con" | tr -d '\r\n')" = THE-END ]
}

# refuse_file FLAG PATH: 125 and one line before any VM, PATH's target unchanged
refuse_file() {
	run --separate-stderr timeout 60 ./run "$1" "$2" "$ROOT" echo never
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "--result and --console never write through a link, into a fifo, or over another's file" {
	echo precious > "$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/link"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	cp "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/others"
	chown 65534:65534 "$BATS_TEST_TMPDIR/others"
	for flag in --result --console; do
		for f in link fifo others; do
			refuse_file "$flag" "$BATS_TEST_TMPDIR/$f"
			[[ "$stderr" == "qpod: $flag $BATS_TEST_TMPDIR/$f: not a file of yours"* ]]
		done
	done
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
	[ "$(cat "$BATS_TEST_TMPDIR/others")" = precious ]
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
	# a file of ours is written, as before
	run ./run --result "$BATS_TEST_TMPDIR/mine.json" "$ROOT" true
	[ "$status" -eq 0 ]
	[ "$(jq -r .status "$BATS_TEST_TMPDIR/mine.json")" = 0 ]
}

@test "a registry password is never in qpod's command line: --creds USER:PASS is refused, --password-stdin takes it" {
	for cmd in "./run" "./qpod pull"; do
		run --separate-stderr $cmd --creds qpod:s3cret "$IMAGES/busybox.tar"
		echo "$stderr"
		[ "$status" -eq 125 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"a password in the command line is readable by every local user"*"--password-stdin"* ]]
		[[ "$stderr" != *s3cret* ]]
	done
	run --separate-stderr ./run --creds qpod "$IMAGES/busybox.tar" true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--creds USER needs --password-stdin"* ]]
}

@test "a template's RAM written after it was saved (as an escaped qemu could) is never restored" {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	./run "$ROOT" true
	run ./run --result "$BATS_TEST_TMPDIR/r1.json" "$ROOT" true
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r1.json")" = restore ]
	t=$(find "$QPOD_CACHE/templates" -mindepth 1 -maxdepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{64}')
	[ -f "$t/ram" ]
	size=$(stat -c %s "$t/ram")
	printf 'X' | dd of="$t/ram" bs=1 seek=4096 conv=notrunc status=none
	[ "$(stat -c %s "$t/ram")" = "$size" ]
	run ./run --result "$BATS_TEST_TMPDIR/r2.json" "$ROOT" echo fine
	[ "$status" -eq 0 ]
	[ "$output" = fine ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r2.json")" = cold ]
	[[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/r2.json")" == *"ram changed since it was saved"* ]]
}

# state KEY: a field of the detached VM's state.json
state() { jq -r ".$1" "$QPOD_STATE/$id/state.json"; }

@test "a VM that dies under its command again and again: booted again after docker's growing delay, given up after 5" {
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
	id=$(./qpod run -d --restart always "$ROOT" sleep 600)
	for n in 1 2 3 4 5; do
		q=$(state qemuPid)
		kill -KILL "$q"
		killed=$(date +%s%N)
		if [ "$n" = 5 ]; then break; fi
		for i in $(seq 300); do
			if [ "$(state qemuPid)" != "$q" ] && [ "$(state status)" = running ]; then break; fi
			sleep 0.05
		done
		[ "$(state status)" = running ]
		gap=$(( ($(date +%s%N) - killed) / 1000000 ))
		echo "restart $n after $gap ms"
	done
	# the 4th waited docker's 1.6 s (whole seconds included), then the 5th failure ended it
	[ "$gap" -ge 1600 ]
	for i in $(seq 100); do
		if [ "$(state status)" = exited ]; then break; fi
		sleep 0.1
	done
	[ "$(state status)" = exited ]
	[ "$(state qemuPid)" -le 0 ] # no qemu booted after the fifth
	[[ "$(state error)" == *"the VM failed 5 times in a row: not restarted"* ]]
	run kill -0 "$q"
	[ "$status" -ne 0 ]
}
