#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# appliance.bats: VMs that keep running: run -d, names, ps, exec, logs,
# stop, kill, wait, rm, inspect, restart policies, a monitor that dies, and
# the foreground run's graceful stop. Real VMs; every wait has a deadline.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	mkdir -p "$ROOT/www"
	echo appliance > "$ROOT/www/index.html"
}

setup() {
	need_images
	cd "$REPO"
	# Each test its own state directory: nothing leaks between tests.
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
}

teardown() {
	rm_all_vms
}

@test "run -d prints the id once the command runs; ps shows it; a name is unique" {
	run --separate-stderr ./qpod run -d --name svc "$ROOT" sleep 600
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run ./qpod ps
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "${id:0:12}  "* ]]
	[[ "${lines[1]}" == *" Up "* ]]
	[[ "${lines[1]}" == *" svc" ]]
	# docker's ps --format json: one object a line, the command quoted
	run ./qpod ps --format json
	[ "$(jq -r .State <<<"$output")" = running ]
	[ "$(jq -r .Command <<<"$output")" = '"sleep 600"' ]
	run ./qpod ps -q
	[ "$status" -eq 0 ]
	[ "$output" = "${id:0:12}" ]
	run --separate-stderr ./qpod run -d --name svc "$ROOT" true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"the name svc is in use"* ]]
	run ./qpod inspect "${id:0:8}"
	[ "$(jq -r '.[0].Name' <<<"$output")" = /svc ]
	[ "$(jq '.[0].State.ConmonPid > 0' <<<"$output")" = true ]
}

@test "run -d: a command that cannot start gives 127 or 126 and its reason" {
	run -127 --separate-stderr ./qpod run -d --name nf "$ROOT" no-such-command
	[[ "$stderr" == *'exec "no-such-command": executable file not found'* ]]
	run --separate-stderr ./qpod run -d "$ROOT" /etc/passwd
	[ "$status" -eq 126 ]
	run ./qpod ps -a --filter name=nf --format '{{.State}}'
	[ "$output" = exited ]
	run ./qpod ps -q
	[ -z "$output" ]
	run ./qpod ps -a -q
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
	# A name without -d names a foreground run (docker's), freed when it ends.
	run --separate-stderr ./qpod run --name x "$ROOT" sh -c 'exit 4'
	[ "$status" -eq 4 ]
	[ ! -e "$QPOD_STATE/names/x" ]
}

@test "logs: stdout and stderr apart, -t, --tail, -f until the VM ends" {
	./qpod run -d --name lg "$ROOT" sh -c 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 600'
	for i in $(seq 100); do [ "$(./qpod logs lg 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
	./qpod logs lg > "$BATS_TEST_TMPDIR/o" 2> "$BATS_TEST_TMPDIR/e"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = "$(printf 'out1\nout2\nout3')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = "$(printf 'err1\nerr2\nerr3')" ]
	run ./qpod logs -t lg
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ (out|err)1$ ]]
	run ./qpod logs --tail 2 lg
	[ "${#lines[@]}" -eq 2 ]
	timeout 60 ./qpod logs -f lg > "$BATS_TEST_TMPDIR/f" 2>&1 &
	follower=$!
	sleep 1
	./qpod stop -t 1 lg
	wait $follower
	grep -q out3 "$BATS_TEST_TMPDIR/f"
}

@test "the log has a bound: --log-max-size" {
	./qpod run -d --name big --log-max-size 64k "$ROOT" sh -c 'yes 0123456789abcdef | head -c 3000000; sleep 600'
	id=$(./qpod inspect --format '{{.Id}}' big)
	for i in $(seq 300); do [ -f "$QPOD_STATE/$id/log.1" ] && break; sleep 0.1; done
	sleep 2
	size=$(cat "$QPOD_STATE/$id/log" "$QPOD_STATE/$id/log.1" | wc -c)
	[ "$size" -le 65536 ]
	[ "$size" -gt 16384 ]
}

@test "exec: its own status, stdin, the container's env, -e, -u, -w, several at once" {
	./qpod run -d --name ex -e FROM_RUN=yes "$ROOT" sleep 600
	run ./qpod exec ex sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run ./qpod exec ex sh -c 'echo "$FROM_RUN|$FROM_EXEC|$(id -u)|$(pwd)"'
	[ "$output" = "yes||0|/" ]
	run ./qpod exec -e FROM_EXEC=1 -u qpod -w /tmp ex sh -c 'echo "$FROM_RUN|$FROM_EXEC|$(id -u)|$(pwd)"'
	[ "$output" = "yes|1|1000|/tmp" ]
	run bash -c "printf 'a\nb\n' | ./qpod exec -i ex wc -l"
	[ "$output" = 2 ]
	run -127 ./qpod exec ex no-such
	for i in 1 2 3; do ./qpod exec ex sh -c "sleep 1; exit 1$i" & done
	codes=""
	for j in $(jobs -p); do wait "$j" && c=0 || c=$?; codes="$codes $c"; done
	[ "$(echo $codes | tr ' ' '\n' | sort | tr '\n' ' ')" = "11 12 13 " ]
}

@test "exec signals: SIGTERM to qpod exec reaches the exec'd process" {
	./qpod run -d --name sg "$ROOT" sleep 600
	./qpod exec sg sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.2; done' > "$BATS_TEST_TMPDIR/x" &
	pid=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/x" && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 42 ]
}

@test "stop: the stop signal, then SIGKILL after the timeout; two stops at once" {
	./qpod run -d --name st1 --stop-signal USR1 "$ROOT" sh -c 'trap "exit 5" USR1; echo ready; while :; do sleep 0.2; done'
	wait_log st1 ready
	run ./qpod stop st1
	[ "$status" -eq 0 ]
	[ "$output" = st1 ]
	run ./qpod wait st1
	[ "$output" = 5 ]
	./qpod run -d --name st2 "$ROOT" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done'
	wait_log st2 ready
	start=$(date +%s)
	./qpod stop -t 1 st2 > "$BATS_TEST_TMPDIR/a" &
	a=$!
	./qpod stop -t 1 st2 > "$BATS_TEST_TMPDIR/b" &
	b=$!
	wait $a
	wait $b
	run ./qpod wait st2
	[ "$output" = 137 ]
	# docker: exec into a container that is not running is the daemon's refusal, 1
	run ./qpod exec st2 true
	[ "$status" -eq 1 ]
}

@test "kill -s, wait, rm, rm -f: nothing of the VM is left" {
	id=$(./qpod run -d --name kk "$ROOT" sh -c 'trap "exit 9" HUP; echo ready; while :; do sleep 0.2; done')
	wait_log kk ready
	run ./qpod rm kk
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot remove a running container"* ]]
	./qpod kill -s HUP kk
	run ./qpod wait kk
	[ "$output" = 9 ]
	run ./qpod rm kk
	[ "$status" -eq 0 ]
	[ ! -e "$QPOD_STATE/$id" ]
	[ ! -e "$QPOD_STATE/names/kk" ]
	id=$(./qpod run -d --name ff "$ROOT" sleep 600)
	qemu=$(jq -r .qemuPid "$QPOD_STATE/$id/state.json")
	run ./qpod rm -f ff
	[ "$status" -eq 0 ]
	[ "$output" = ff ]
	[ ! -e "$QPOD_STATE/$id" ]
	run kill -0 "$qemu"
	[ "$status" -ne 0 ]
	run ./qpod inspect ff
	[ "$status" -eq 1 ]
}

@test "restart on-failure:2 keeps the writable layer and counts the restarts" {
	./qpod run -d --name rs --restart on-failure:2 "$ROOT" sh -c \
		'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n + 1)); echo $n > /tmp/n; echo run$n; exit 3'
	run timeout 60 ./qpod wait rs
	[ "$output" = 3 ]
	run ./qpod inspect --format '{{.RestartCount}}' rs
	[ "$output" = 2 ]
	run ./qpod logs rs
	[ "$output" = "$(printf 'run1\nrun2\nrun3')" ]
}

@test "restart always: stop ends it for good; an exit 0 comes back" {
	./qpod run -d --name ra --restart always "$ROOT" sh -c 'echo up; sleep 1; exit 0'
	for i in $(seq 300); do [ "$(./qpod inspect -f '{{.RestartCount}}' ra)" -ge 1 ] && break; sleep 0.1; done
	[ "$(./qpod inspect -f '{{.RestartCount}}' ra)" -ge 1 ]
	run ./qpod stop -t 2 ra
	[ "$status" -eq 0 ]
	run ./qpod inspect -f '{{.State.Status}}' ra
	[ "$output" = exited ]
}

@test "a SIGKILLed monitor takes its qemu along; ps says monitor lost" {
	id=$(./qpod run -d --name ml "$ROOT" sleep 600)
	mon=$(jq -r .monitorPid "$QPOD_STATE/$id/state.json")
	qemu=$(jq -r .qemuPid "$QPOD_STATE/$id/state.json")
	kill -KILL "$mon"
	for i in $(seq 50); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$qemu"
	[ "$status" -ne 0 ]
	run ./qpod ps -a
	[[ "$output" == *"Exited (monitor lost)"*ml* ]]
	run ./qpod exec ml true
	[ "$status" -eq 1 ]
	run ./qpod rm ml
	[ "$status" -eq 0 ]
}

@test "a published port of a detached VM serves; the state and socket are private" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	id=$(./qpod run -d --name web -p "127.0.0.1:$port:80" "$ROOT" httpd -f -p 80 -h /www)
	for i in $(seq 100); do curl -sf -m 2 "http://127.0.0.1:$port/index.html" >/dev/null && break; sleep 0.1; done
	run curl -sf -m 5 "http://127.0.0.1:$port/index.html"
	[ "$output" = appliance ]
	run ./qpod ps
	[[ "$output" == *"127.0.0.1:$port->80/tcp"* ]]
	[ "$(stat -c %a "$QPOD_STATE")" = 700 ]
	[ "$(stat -c %a "$QPOD_STATE/$id")" = 700 ]
	# Another user cannot reach the socket (the directory is closed to it);
	# a short link to it keeps the path within a socket address's length.
	ln -s "$QPOD_STATE/$id/ctl.sock" "/tmp/qpod-test-sock.$$"
	run env -i setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -I -c \
		'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])' \
		"/tmp/qpod-test-sock.$$"
	rm -f "/tmp/qpod-test-sock.$$"
	[ "$status" -ne 0 ]
	[[ "$output" == *PermissionError* ]]
}

# ctl_probe SOCKET JSON [SETPRIV-ARGS...]: send one request to a monitor's
# socket (as another user with setpriv's arguments) and print its answer, or
# "closed" when the monitor hangs up unanswered.
ctl_probe() {
	local sock=$1 req=$2
	shift 2
	env -i setpriv "$@" /usr/bin/python3 -I -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.send(sys.argv[2].encode())
    print(s.recv(4096).decode() or "closed")
except (BrokenPipeError, ConnectionResetError):
    print("closed")' "$sock" "$req"
}

@test "the monitor answers no other uid, even one that gets past the private directory" {
	[ "$(id -u)" = 0 ] || skip "cannot run here: becoming another uid needs root"
	id=$(./qpod run -d --name peer "$ROOT" sleep 600)
	# a short link keeps the path within a socket address's length
	ln -s "$QPOD_STATE/$id/ctl.sock" "/tmp/qpod-test-peer.$$"
	# the probe works: the owner is answered (an unknown request, refused)
	run ctl_probe "/tmp/qpod-test-peer.$$" '{"op":"nosuch"}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"event":"error"'* ]]
	# uid 65534 with CAP_DAC_OVERRIDE reaches the socket through the 0700
	# directory; SO_PEERCRED names it, and the monitor hangs up
	run ctl_probe "/tmp/qpod-test-peer.$$" '{"op":"kill","signal":9}' --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=+dac_override --ambient-caps=+dac_override
	rm -f "/tmp/qpod-test-peer.$$"
	[ "$status" -eq 0 ]
	[ "$output" = closed ]
	run ./qpod inspect -f '{{.State.Status}}' peer
	[ "$status" -eq 0 ]
	[ "$output" = running ]
}

@test "foreground run: SIGTERM is a graceful stop: the stop signal, then SIGKILL after --stop-timeout" {
	./qpod run --stop-timeout 1 "$ROOT" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done' > "$BATS_TEST_TMPDIR/f1" &
	pid=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/f1" && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 137 ]
	./qpod run --stop-signal INT "$ROOT" sh -c 'trap "exit 3" INT; echo ready; while :; do sleep 0.2; done' > "$BATS_TEST_TMPDIR/f2" &
	pid=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/f2" && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 3 ]
}

@test "ps during a start, exec racing stop: each answers, nothing hangs" {
	./qpod run -d --name race "$ROOT" sleep 600 > /dev/null &
	starter=$!
	for i in $(seq 20); do timeout 10 ./qpod ps -a > /dev/null; done
	wait $starter
	timeout 60 ./qpod exec race sleep 5 > /dev/null 2>&1 &
	x=$!
	sleep 0.5
	run timeout 60 ./qpod stop -t 1 race
	[ "$status" -eq 0 ]
	for i in $(seq 300); do kill -0 $x 2>/dev/null || break; sleep 0.1; done
	run kill -0 $x
	[ "$status" -ne 0 ]
}

@test "a bundle runs detached too: exec, stop" {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	./qpod bundle "$IMAGES/busybox.tar" -o "$BATS_TEST_TMPDIR/app.qpod" > /dev/null
	./qpod run -d --name bun -h bundled "$BATS_TEST_TMPDIR/app.qpod" sleep 600 > /dev/null
	run ./qpod exec bun sh -c 'cat /etc/hostname; ls /bin/busybox'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'bundled\n/bin/busybox')" ]
	run ./qpod inspect bun
	[ "$(jq -r '.[0].Config.Image' <<<"$output")" = "$BATS_TEST_TMPDIR/app.qpod" ]
	# sleep is PID 1 of its namespace, as in docker: SIGTERM does not reach it, SIGKILL does
	run ./qpod stop -t 1 bun
	[ "$status" -eq 0 ]
	run ./qpod wait bun
	[ "$output" = 137 ]
}
