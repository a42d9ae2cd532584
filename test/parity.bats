#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# parity.bats: what a docker user hits first, with cases taken from moby's
# integration-cli run tests and podman's system tests: the container's /dev,
# limits, users and groups, entrypoints, volumes, docker's flag forms.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	printf 'ftp:x:21:\nmail:x:12:qpod\n' >> "$ROOT/etc/group"
	# Debian's bash and its libraries: process substitution needs a real bash.
	local lib
	cp /bin/bash "$ROOT/bin/bash"
	for lib in $(ldd /bin/bash | grep -o '/[^ ]*'); do
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done
	# An image whose config says Entrypoint [""] (podman's run_entrypoint_test).
	export EPTAR=$BATS_FILE_TMPDIR/ep-empty.tar
	skopeo copy -q "docker-archive:$IMAGES/busybox.tar" "oci:$BATS_FILE_TMPDIR/oci:latest"
	umoci config --image "$BATS_FILE_TMPDIR/oci:latest" --config.entrypoint ''
	skopeo copy -q "oci:$BATS_FILE_TMPDIR/oci:latest" "docker-archive:$EPTAR:qpod/ep:empty"
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
}

setup() {
	need_images
	cd "$REPO"
}

@test "/dev is docker's device set, without the guest's own devices" {
	run ./run "$ROOT" ls /dev
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "console core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" ]
	run ./run "$ROOT" sh -c 'for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; stat -c "%t:%T %a" /dev/null /dev/urandom'
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[ "${lines[4]}" = pts/ptmx ]
	[ "${lines[5]}" = "1:3 666" ]
	[ "${lines[6]}" = "1:9 666" ]
}

@test "bash process substitution and dd of=/dev/stdout" {
	run ./run "$ROOT" bash -c 'cat <(echo hi)'
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run ./run "$ROOT" sh -c 'echo 12345 | dd of=/dev/stdout 2>/dev/null'
	[ "$output" = 12345 ]
}

@test "/dev/shm is nosuid,nodev,noexec at 64 MiB; --shm-size sets it; /dev/mqueue is there" {
	run ./run "$ROOT" grep -E ' /dev/(shm|mqueue) ' /proc/mounts
	[[ "${lines[0]}" == *" /dev/shm tmpfs rw,nosuid,nodev,noexec,"*"size=65536k"* ]]
	[[ "${lines[1]}" == "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec"* ]]
	run ./run --shm-size 1m "$ROOT" grep ' /dev/shm ' /proc/mounts
	[[ "$output" == *"size=1024k"* ]]
}

@test "/etc/mtab links to /proc/mounts, so df and mount read it" {
	run ./run "$ROOT" sh -c 'readlink /etc/mtab; df / | tail -1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /proc/mounts ]
	[[ "${lines[1]}" == overlay* ]]
}

@test "RLIMIT_NOFILE is 1048576; --ulimit sets any limit" {
	run ./run "$ROOT" sh -c 'ulimit -n; ulimit -Hn'
	[ "$output" = "$(printf '1048576\n1048576')" ]
	run ./run --ulimit nofile=1024:2048 --ulimit core=0 "$ROOT" sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
	[ "$output" = "$(printf '1024\n2048\n0')" ]
	run ./run --ulimit nofile=2048:1024 "$ROOT" true
	[ "$status" -eq 125 ]
}

@test "-u: a group given is the only group; -u 0 lists root's gid; --group-add adds (the kernel sorts groups)" {
	run ./run -u qpod:ftp "$ROOT" id
	[ "$output" = "uid=1000(qpod) gid=21(ftp) groups=21(ftp)" ]
	run ./run -u 1000:12 "$ROOT" id
	[ "$output" = "uid=1000(qpod) gid=12(mail) groups=12(mail)" ]
	run ./run -u qpod "$ROOT" id
	[ "$output" = "uid=1000(qpod) gid=1000(qpod) groups=12(mail),50(staff),1000(qpod)" ]
	run ./run -u 0 "$ROOT" id
	[ "$output" = "uid=0(root) gid=0(root) groups=0(root)" ]
	run ./run -u qpod:ftp --group-add staff --group-add 4000 "$ROOT" id -G
	[ "$output" = "21 50 4000" ]
}

@test "-u with an id out of range is refused before boot: 125" {
	for u in 2147483648 -1 1000:2147483648 1000:-5; do
		run --separate-stderr ./run -u "$u" "$ROOT" true
		[ "$status" -eq 125 ] || { echo "-u $u gave $status"; return 1; }
		[[ "$stderr" == *"--user $u"* ]] || { echo "-u $u: $stderr"; return 1; }
	done
	run ./run -u 2147483647 "$ROOT" id -u
	[ "$output" = 2147483647 ]
}

@test "Entrypoint [\"\"] in the image runs the command; --entrypoint \"\" too" {
	run ./run "$EPTAR" echo from-cmd
	[ "$status" -eq 0 ]
	[ "$output" = from-cmd ]
	run ./run "$EPTAR" sh -c 'echo $0'
	[ "$output" = sh ]
	run ./run --entrypoint "" "$IMAGES/busybox.tar" echo cleared
	[ "$output" = cleared ]
}

@test "-v FILE:PATH binds one file; ro and rw keep their meaning" {
	f=$BATS_TEST_TMPDIR/conf
	echo from-host > "$f"
	echo sibling > "$BATS_TEST_TMPDIR/secret"
	run ./run -v "$f:/etc/app.conf:ro" "$ROOT" sh -c 'cat /etc/app.conf; echo x > /etc/app.conf'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"Read-only file system"* ]]
	run ./run -v "$f:/srv/app.conf" "$ROOT" sh -c 'echo from-guest >> /srv/app.conf; ls /srv; ls /etc/app.conf 2>/dev/null || echo absent'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = app.conf ]
	[ "${lines[1]}" = absent ]
	[ "$(cat "$f")" = "$(printf 'from-host\nfrom-guest')" ]
}

@test "--read-only: the root refuses writes; --tmpfs, /dev/shm and volumes stay writable" {
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	run ./run --read-only "$ROOT" sh -c 'touch /newfile'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run ./run --read-only "$ROOT" sh -c 'touch /tmp/x'
	[ "$status" -ne 0 ]
	run ./run --read-only --tmpfs /tmp --tmpfs /run:size=1m,mode=700 -v "$vol:/data" -w /work "$ROOT" sh -c \
		'touch /tmp/x /dev/shm/y /data/z && stat -c %a /run && pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 700 ]
	[ "${lines[1]}" = /work ]
	[ -f "$vol/z" ]
}

@test "--env-file, -e=K=V and --env=K=V as docker takes them" {
	printf '# a comment\n\nFROM_FILE=one two\n  LEADING=blank\nOVER=file\n' > "$BATS_TEST_TMPDIR/env"
	run ./run -e=OVER=flag --env-file "$BATS_TEST_TMPDIR/env" --env=LONG=yes "$ROOT" \
		sh -c 'echo "$FROM_FILE|$LEADING|$OVER|$LONG"'
	[ "$status" -eq 0 ]
	[ "$output" = "one two|blank|flag|yes" ]
	run ./run --env-file "$BATS_TEST_TMPDIR/missing" "$ROOT" true
	[ "$status" -eq 125 ]
}

@test "-e NAME the host lacks erases it, HOSTNAME too; HOME falls back to passwd" {
	run env -u QPOD_NOPE -u HOSTNAME -u HOME ./run -e QPOD_NOPE -e HOSTNAME -e HOME -u qpod "$ROOT" env
	[ "$status" -eq 0 ]
	[[ "$output" != *QPOD_NOPE* ]]
	[[ "$output" != *HOSTNAME=* ]]
	[[ "$output" == *HOME=/home/qpod* ]]
	run ./run -h named "$ROOT" sh -c 'echo $HOSTNAME'
	[ "$output" = named ]
}

# marked MARK: the processes whose environment holds QPOD_TEST_MARK=MARK
marked() {
	grep -lsaF "QPOD_TEST_MARK=$1" /proc/[0-9]*/environ || true
}

@test "--rm: a foreground run leaves nothing (no state, no VM in ps -a, no process, no file); -d --rm removes the VM once it ends" {
	export QPOD_STATE=$BATS_TEST_TMPDIR/state TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir "$TMPDIR"
	./run "$ROOT" true # the cache holds this kind of VM's template now
	find "$QPOD_CACHE" | sort > "$BATS_TEST_TMPDIR/before"
	# the probe sees a marked process (so an empty answer below means something)
	env QPOD_TEST_MARK="$BATS_TEST_TMPDIR" sleep 30 &
	for i in $(seq 50); do
		if [ -n "$(marked "$BATS_TEST_TMPDIR")" ]; then break; fi
		sleep 0.1 # until env has exec'd sleep with the mark
	done
	[ -n "$(marked "$BATS_TEST_TMPDIR")" ]
	kill $!
	run env QPOD_TEST_MARK="$BATS_TEST_TMPDIR" ./run --rm "$ROOT" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ -z "$(marked "$BATS_TEST_TMPDIR")" ] # no qemu, no monitor
	[ ! -e "$QPOD_STATE" ]
	[ -z "$(ls -A "$TMPDIR")" ]
	find "$QPOD_CACHE" | sort | diff "$BATS_TEST_TMPDIR/before" -
	run ./qpod ps -a -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# docker's -d --rm: the VM is removed when its command exits
	run --separate-stderr ./qpod run -d --rm --name gone "$ROOT" true
	[ "$status" -eq 0 ]
	for i in $(seq 300); do
		if [ -z "$(./qpod ps -a -q)" ]; then break; fi
		sleep 0.1
	done
	run ./qpod ps -a -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$(ls -A "$QPOD_STATE/names")" ]
	run --separate-stderr ./qpod run -d --rm=false --name kept "$ROOT" true
	[ "$status" -eq 0 ]
	run ./qpod rm -f kept
	[ "$status" -eq 0 ]
}

# docker's --init puts tini in as PID 1 so that the command is not PID 1:
# signals without a handler kill it, and orphans are reaped. In qpod,
# hyperstart is PID 1 of the guest's first PID namespace, which a foreground
# run's command shares (a detached one gets its own, docker's way, unless
# --init).
@test "--init: the command is not PID 1, an orphan is reaped, SIGTERM ends a command without a handler" {
	run ./run --init "$ROOT" sh -c 'echo $$; cat /proc/1/comm
		(sleep 0.5 & echo $! > /tmp/orphan); p=$(cat /tmp/orphan); grep PPid /proc/$p/status
		sleep 1.5; if [ -e /proc/$p ]; then echo "$p left a zombie"; else echo reaped; fi'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -gt 1 ] # $$ is its PID in its own PID namespace (the guest's only one)
	[ "${lines[1]}" = init ] # PID 1: hyperstart, the initrd's /init
	[ "${lines[2]}" = $'PPid:\t1' ]
	[ "${lines[3]}" = reaped ]
	./run --init --stop-timeout 5 "$ROOT" sh -c 'echo ready; exec sleep 1000' > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid" && st=0 || st=$?
	[ "$st" -eq 143 ] # sleep died of SIGTERM; as a PID 1 it would have ignored it until the SIGKILL (137)
}

@test "docker's boolean flags are accepted; no abbreviation; unknown short flags named" {
	run ./run --rm --init --sig-proxy=true "$ROOT" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run --separate-stderr ./run --ini "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--ini: unknown flag"* ]]
	run --separate-stderr ./run -Z "$ROOT" true
	[ "$status" -eq 125 ]
	[ "$stderr" = "qpod: -Z: unknown flag (see --help)" ]
	run ./run --memory 0 "$ROOT" true
	[ "$status" -eq 0 ]
	run ./run --umask 0077 "$ROOT" sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	[ "$output" = "$(printf '0077\n600')" ]
}

@test "-t -i with a stdin that is not a terminal: 125 before boot" {
	run --separate-stderr ./run -t -i "$ROOT" true < /dev/null
	[ "$status" -eq 125 ]
	[ "$stderr" = "qpod: the input device is not a TTY" ]
}

@test "-t without -i on a terminal writes hello\\r\\n, as docker" {
	out=$BATS_TEST_TMPDIR/typescript
	run timeout 60 script -qfec "./run -t '$ROOT' echo hello" "$out"
	[ "$status" -eq 0 ]
	grep -q $'^hello\r$' "$out"
	run grep -c $'\r\r' "$out"
	[ "$output" = 0 ]
}

@test "IMAGE - reads the archive from a pipe, into the same cache" {
	run bash -c "cat '$IMAGES/busybox.tar' | ./run - echo from-stdin"
	[ "$status" -eq 0 ]
	[ "$output" = from-stdin ]
	run bash -c "head -c 300 '$IMAGES/busybox.tar' | ./run - true"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp")" ]
}

@test "a background runner reading a terminal ends with its command (SIGTTIN)" {
	out=$BATS_TEST_TMPDIR/typescript
	# timeout(1) puts ./run in a background process group of script's terminal.
	run timeout 120 script -qfec "timeout 90 ./run -i '$ROOT' cat /etc/passwd; echo rc=\$?" "$out"
	[ "$status" -eq 0 ]
	grep -q '^root:x:0:0' "$out"
	grep -q 'rc=0' "$out"
}

@test "--sig-proxy=false: a signal ends qpod and its VM instead of reaching the command" {
	# SIGTERM: a background job of a script starts with SIGINT ignored.
	./run --sig-proxy=false "$ROOT" sh -c 'trap "echo trapped" TERM; sleep 60' > "$BATS_TEST_TMPDIR/o" &
	pid=$!
	for i in $(seq 100); do pgrep -P $pid -f qemu-system >/dev/null && break; sleep 0.1; done
	qemu=$(pgrep -P $pid -f qemu-system)
	sleep 2
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 143 ]
	run grep -c trapped "$BATS_TEST_TMPDIR/o"
	[ "$output" = 0 ]
	for i in $(seq 50); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$qemu"
	[ "$status" -ne 0 ]
}
