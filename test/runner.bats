#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# runner.bats: ./run with a root directory, end to end: real qemu (TCG),
# real kernel, real hyperstart. Each test boots at least one VM.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	head -c 10000000 /dev/urandom > "$BATS_FILE_TMPDIR/rand.bin"
}

setup() {
	need_images
	cd "$REPO"
}

@test "echo hello through ./run" {
	run ./run "$ROOT" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "exit codes 0, 1 and 42 come back exactly" {
	for code in 0 1 42; do
		run ./run "$ROOT" sh -c "exit $code"
		[ "$status" -eq "$code" ] || { echo "exit $code gave $status"; return 1; }
	done
}

@test "a command that is not found exits 127 and says so" {
	run -127 ./run "$ROOT" no-such-command
	[[ "$output" == *'exec "no-such-command": executable file not found in $PATH'* ]]
	run -127 ./run "$ROOT" /bin/nope
	# The reason survives however the guest's events fall: the exec pipe's
	# and the reap's in one epoll batch once wiped it (1 run in 7).
	local i
	for i in $(seq 8); do
		run -127 ./run "$ROOT" no-such-command
		[[ "$output" == *"executable file not found"* ]] || { echo "run $i: $output"; return 1; }
	done
}

@test "a file that is not executable exits 126" {
	run ./run "$ROOT" /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *'exec "/etc/passwd": Permission denied'* ]]
}

@test "kill -9 of itself exits 137" {
	run ./run "$ROOT" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "SIGTERM to ./run is forwarded to the command: 143" {
	./run "$ROOT" sleep 60 &
	pid=$!
	# Wait until the command runs (the VM is up), then signal the runner.
	for i in $(seq 100); do pgrep -f "qemu-system-x86_64.*$ROOT" >/dev/null && break; sleep 0.1; done
	sleep 1.5
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 143 ]
}

@test "a trapped SIGINT runs the command's handler" {
	./run "$ROOT" sh -c 'trap "echo trapped; exit 3" INT; while :; do sleep 1; done' > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	sleep 3
	kill -INT $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 3 ]
	grep -q trapped "$BATS_TEST_TMPDIR/out"
}

@test "stdout and stderr arrive separately" {
	./run "$ROOT" sh -c 'echo to-out; echo to-err >&2' > "$BATS_TEST_TMPDIR/o" 2> "$BATS_TEST_TMPDIR/e"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = to-out ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = to-err ]
}

@test "10 MB of binary stdout arrive byte-exact" {
	want=$(sha256sum < "$BATS_FILE_TMPDIR/rand.bin")
	got=$(./run -v "$BATS_FILE_TMPDIR:/data:ro" "$ROOT" cat /data/rand.bin | sha256sum)
	[ "$got" = "$want" ]
}

@test "10 MB of stdin arrive byte-exact through -i cat" {
	want=$(sha256sum < "$BATS_FILE_TMPDIR/rand.bin")
	got=$(./run -i "$ROOT" cat < "$BATS_FILE_TMPDIR/rand.bin" | sha256sum)
	[ "$got" = "$want" ]
	got=$(cat "$BATS_FILE_TMPDIR/rand.bin" | ./run -i "$ROOT" sha256sum)
	[ "${got%% *}" = "${want%% *}" ]
}

@test "stdin EOF ends cat; without -i stdin is empty" {
	run bash -c "printf 'abc\n' | ./run -i '$ROOT' cat"
	[ "$status" -eq 0 ]
	[ "$output" = abc ]
	run bash -c "printf 'abc\n' | ./run '$ROOT' cat"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "-t gives a terminal with the host's window size" {
	tty_window "$ROOT"
}

@test "-t -i: typed input reaches the shell and the exit code comes back" {
	command -v tmux >/dev/null || fail_now "tmux is not installed (make deps-test)"
	sock=$BATS_TEST_TMPDIR/tmux
	tmux -S "$sock" new-session -d -x 80 -y 24 "./run -t -i '$ROOT' sh > '$BATS_TEST_TMPDIR/o' 2>&1; echo rc=\$? >> '$BATS_TEST_TMPDIR/o'"
	for i in $(seq 300); do grep -q '#' "$BATS_TEST_TMPDIR/o" 2>/dev/null && break; sleep 0.1; done
	tmux -S "$sock" send-keys 'echo typed-$((6*7)); exit 5' Enter
	for i in $(seq 300); do grep -q rc= "$BATS_TEST_TMPDIR/o" 2>/dev/null && break; sleep 0.1; done
	tmux -S "$sock" kill-server 2>/dev/null || true
	grep -q typed-42 "$BATS_TEST_TMPDIR/o"
	grep -q rc=5 "$BATS_TEST_TMPDIR/o"
}

@test "env, workdir and user come from the flags" {
	run ./run -e FOO=bar -e 'SPACED=a b' -w /tmp/made/here -u qpod "$ROOT" sh -c 'echo "$FOO|$SPACED|$(pwd)|$(id -u)|$(id -g)|$HOME"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar|a b|/tmp/made/here|1000|1000|/home/qpod" ]
}

@test "-e NAME takes the host's value, and is left out when the host has none" {
	export QPOD_TEST_VAR=from-host
	unset QPOD_TEST_UNSET
	run -0 ./run -e QPOD_TEST_VAR -e QPOD_TEST_UNSET "$ROOT" sh -c 'echo "$QPOD_TEST_VAR|${QPOD_TEST_UNSET-unset}"'
	[ "$output" = "from-host|unset" ]
}

@test "users: uid:gid, name:group, supplementary groups, unknown user" {
	run -0 ./run -u 1234:50 "$ROOT" id
	[ "$output" = "uid=1234 gid=50(staff) groups=50(staff)" ]
	run -0 ./run -u qpod:nogroup "$ROOT" id -g
	[ "$output" = 65534 ]
	run -0 ./run -u qpod "$ROOT" id -G
	[ "$output" = "1000 50" ]
	run ./run -u nosuch "$ROOT" true
	[ "$status" -eq 126 ]
	[[ "$output" == *"unable to find user nosuch: no matching entries in passwd file"* ]]
}

@test "--timeout kills the VM and exits 124" {
	start=$(date +%s)
	run ./run --timeout 3 "$ROOT" sleep 60
	[ "$status" -eq 124 ]
	[[ "$output" == *"timed out after 3s"* ]]
	[ $(( $(date +%s) - start )) -lt 10 ]
}

@test "a volume is read and written; a read-only one refuses writes" {
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	echo from-host > "$vol/in"
	run ./run -v "$vol:/data" "$ROOT" sh -c 'cat /data/in; echo from-guest > /data/out'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$vol/out")" = from-guest ]
	run ./run -v "$vol:/data:ro" "$ROOT" sh -c 'echo x > /data/nope'
	[ "$status" -ne 0 ]
	[ ! -e "$vol/nope" ]
}

@test "writes into / stay in the VM: the host rootfs is unchanged" {
	before=$(tree_digest "$ROOT")
	run ./run "$ROOT" sh -c 'echo x > /etc/passwd && rm /bin/ls && mkdir /new && touch /tmp/t && cat /etc/passwd'
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	[ "$(tree_digest "$ROOT")" = "$before" ]
}

# As in a shell pipeline: when the host's stdout is a closed pipe, the
# runner closes the guest's stream, the command in the guest gets SIGPIPE,
# and ./run exits 141 (128 + 13) itself: not killed by SIGPIPE, so its
# --result is written and says 141. The deadline (timeout 60, which signals
# the whole group) catches a hang.
@test "output to a closed pipe: the command gets SIGPIPE, ./run exits 141" {
	local o=$BATS_TEST_TMPDIR
	yes | head -c 10 > "$o/want"
	run timeout 60 bash -c "./run --result '$o/r.json' '$ROOT' yes | head -c 10 > '$o/got'; echo \"rc=\${PIPESTATUS[0]}\""
	echo "$output"
	[ "$status" -eq 0 ] || { echo "the run did not end within 60 s (timeout gave $status)"; return 1; }
	[ "$(stat -c %s "$o/got")" -eq 10 ]
	cmp "$o/want" "$o/got"
	[ "${lines[-1]}" = rc=141 ]
	[ -s "$o/r.json" ] || { echo "no --result: ./run itself died of SIGPIPE"; return 1; }
	[ "$(jq .status "$o/r.json")" = 141 ]
}

@test "a broken kernel gives 125 with qemu's reason" {
	run ./run --kernel /etc/hostname "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"qpod: qemu failed"* ]]
	[[ "$output" == *"[qemu]"* ]]
}

@test "a broken initrd gives 125 with the console tail" {
	head -c 50000 /dev/urandom > "$BATS_TEST_TMPDIR/junk.img"
	run ./run --initrd "$BATS_TEST_TMPDIR/junk.img" "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"qpod: the VM stopped before hyperstart was ready"* ]]
	[[ "$output" == *"[console] "*"Kernel panic"* ]]
}

@test "a guest that never answers hits the boot deadline: 125" {
	imgs=$BATS_TEST_TMPDIR/images
	mkdir -p "$imgs" "$BATS_TEST_TMPDIR/hang/bin"
	cp "$IMAGES"/* "$imgs/"
	sed -i 's/^boot_timeout=.*/boot_timeout=3/' "$imgs/vm.conf"
	cp /bin/busybox "$BATS_TEST_TMPDIR/hang/bin/"
	printf '#!/bin/busybox sh\nexec /bin/busybox sleep 600\n' > "$BATS_TEST_TMPDIR/hang/init"
	chmod +x "$BATS_TEST_TMPDIR/hang/init"
	(cd "$BATS_TEST_TMPDIR/hang" && find . | cpio -H newc -o 2>/dev/null | gzip) > "$imgs/initrd.img"
	start=$(date +%s)
	QPOD_IMAGES=$imgs run ./run "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"did not become ready in time"* ]]
	[ $(( $(date +%s) - start )) -lt 15 ]
}

@test "missing boot images: 125 and a hint to build them" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run env QPOD_IMAGES="$BATS_TEST_TMPDIR/empty" ./run "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"make image"* ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "bad flags: one line naming the flag, exit 125" {
	for args in "--bogus" "-m 12q" "--cpus 0" "--timeout -1" "--accel fast" "-v /nonexistent:/x" "-v $ROOT:relative" "-w relative" "--boot floppy"; do
		run ./run $args "$ROOT" true
		[ "$status" -eq 125 ] || { echo "$args gave $status"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; return 1; }
		[[ "$output" == qpod:* ]]
	done
	run ./run
	[ "$status" -eq 125 ]
	[[ "$output" == *"no IMAGE given"* ]]
	run ./run "$ROOT"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no command given"* ]]
	run ./run "$BATS_TEST_TMPDIR/missing.tar" true
	[ "$status" -eq 125 ]
}

@test "--help and --version exit 0" {
	run ./run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: qpod run [OPTIONS] IMAGE"* ]]
	run ./run --version
	[ "$status" -eq 0 ]
	[[ "$output" == "qpod "* ]]
}

@test "a SIGKILLed runner leaves no qemu behind" {
	./run "$ROOT" sleep 60 &
	pid=$!
	for i in $(seq 100); do pgrep -P $pid -f qemu-system >/dev/null && break; sleep 0.1; done
	qemu=$(pgrep -P $pid -f qemu-system)
	[ -n "$qemu" ]
	kill -KILL $pid
	for i in $(seq 50); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
	run ! kill -0 "$qemu"
}

@test "--result writes JSON and --timings prints the phases" {
	run ./run --timings --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	# A restored VM's phases replace the boot's (snapshot.bats has more).
	case $(jq -r .boot "$BATS_TEST_TMPDIR/r.json") in
	restore) ready="guest resumed" ;;
	cold) ready="hyperstart ready" ;;
	*) ready="a boot of restore or cold in --result" ;;
	esac
	[[ "$output" == *"$ready"* ]]
	[[ "$output" == *"command exited"* ]]
	[ "$(jq .status "$BATS_TEST_TMPDIR/r.json")" = 7 ]
	[ "$(jq .timedOut "$BATS_TEST_TMPDIR/r.json")" = false ]
	[ "$(jq '.timingsUs.ready > 0' "$BATS_TEST_TMPDIR/r.json")" = true ]
}

@test "--accel auto settles on TCG here (a working KVM boots cold) and --accel tcg works" {
	run ./run --accel tcg "$ROOT" true
	[ "$status" -eq 0 ]
	run ./run --accel auto --result "$BATS_TEST_TMPDIR/a.json" "$ROOT" true
	[ "$status" -eq 0 ]
	hw_kvm() { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }
	if [ -e /sys/module/kvm_pvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ] || ! hw_kvm; then
		[[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/a.json")" != *KVM* ]]
	else
		[ "$(jq -r .boot "$BATS_TEST_TMPDIR/a.json")" = cold ]
		[[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/a.json")" == *"KVM boots cold"* ]]
	fi
}

@test "make install: an installed runner finds its images without flags" {
	prefix=$BATS_TEST_TMPDIR/prefix
	run make -s install O="$OUT" PREFIX="$prefix"
	[ "$status" -eq 0 ]
	run env -u QPOD_IMAGES "$prefix/bin/qpod" run "$ROOT" echo installed
	[ "$status" -eq 0 ]
	[ "$output" = installed ]
}

@test "--boot cbfs boots kernel, initrd and cmdline from flash" {
	[ -f "$IMAGES/cbfs.rom" ] || fail_now "no $IMAGES/cbfs.rom: run \`make image\`"
	run ./run --boot cbfs "$ROOT" sh -c 'echo via-cbfs; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = via-cbfs ]
	run ./run --boot cbfs --kernel "$IMAGES/vmlinuz" "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"need --boot fwcfg"* ]]
}

@test "./run image.tar: --max-bytes refuses a layer beyond it; --cache ls lists the image" {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	run ./run --max-bytes 1k "$IMAGES/busybox.tar" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"expands beyond the limit of 1024 bytes (--max-bytes)"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run ./run "$IMAGES/busybox.tar" sh -c 'echo $PATH; id -un'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = root ]
	run ./run --cache ls
	[ "$status" -eq 0 ]
	[[ "$output" == *"busybox"* ]]
	run ./run --cache prune
	[ "$status" -eq 0 ]
	run -0 ./run --cache ls
	[[ "$output" != *"busybox"* ]]
}
