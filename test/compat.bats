#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# compat.bats: VMs as docker and podman users drive containers, with cases
# ported from their own tests (each names its source: moby's
# integration-cli/docker_cli_*_test.go and integration/container/*_test.go,
# podman's test/system/*.bats and test/e2e/*_test.go) and the peer's
# expected values: ps, inspect, logs, exec, stop, kill, rm, restart, pause,
# port, top, events, named foreground runs, --attach, and the exit codes of
# the CLI's own errors. Real VMs; every wait has a deadline.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
}

setup() {
	need_images
	cd "$REPO"
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
}

teardown() {
	rm_all_vms
}

# wait_state NAME STATUS: until inspect says State.Status, at most 30 s.
wait_state() {
	local i
	for i in $(seq 300); do
		[ "$(./qpod inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 never became $2"
	return 1
}

@test "ps: docker's header, newest first, -n/--last, -l, --no-trunc, -q" {
	# moby TestPsListContainersBase, TestPsByOrder
	first=$(./qpod run -d --name xyz-abc "$ROOT" sleep 600)
	second=$(./qpod run -d --name xyz-123 "$ROOT" sleep 600)
	third=$(./qpod run -d "$ROOT" true)
	./qpod wait "$third" > /dev/null
	run ./qpod ps
	[ "${lines[0]:0:15}" = "CONTAINER ID   " ]
	[[ "${lines[0]}" == *"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[1]:0:12}" = "${second:0:12}" ]
	[ "${lines[2]:0:12}" = "${first:0:12}" ]
	run ./qpod ps -n=2
	[ "${lines[1]:0:12}" = "${third:0:12}" ]
	[ "${lines[2]:0:12}" = "${second:0:12}" ]
	run ./qpod ps --last 1 -q
	[ "$output" = "${third:0:12}" ]
	run ./qpod ps -l -q --no-trunc
	[ "$output" = "$third" ]
	run ./qpod ps --no-trunc -q -f name=xyz
	[ "$output" = "$(printf '%s\n%s' "$second" "$first")" ]
	run ./qpod ps --no-trunc --format '{{.ID}} {{.Command}} {{.Names}} {{.State}}' -f name=xyz-abc
	[ "$output" = "$first \"sleep 600\" xyz-abc running" ]
}

@test "ps --filter: status, exited, id, name, label; a bad filter is 1" {
	# moby TestPsListContainersFilterStatus, ...FilterExited, ...FilterID, ...FilterLabel;
	# podman 040-ps "podman ps --filter"
	./qpod run -d --name running -l match=me -l second=tag "$ROOT" sleep 600 > /dev/null
	stopped=$(./qpod run -d --name stopped -l match="me too" "$ROOT" true)
	failed=$(./qpod run -d --name failed -l nomatch=me "$ROOT" false)
	./qpod wait stopped failed > /dev/null
	run ./qpod ps --filter status=exited --format '{{.Names}}'
	[ "$output" = "$(printf 'failed\nstopped')" ]
	run ./qpod ps --filter status=exited --filter exited=0 --format '{{.Names}}'
	[ "$output" = stopped ]
	run ./qpod ps -a --filter exited=1 -q --no-trunc
	[ "$output" = "$failed" ]
	run ./qpod ps --filter name=stopped --format '{{.ID}}'
	[ "$output" = "" ]
	run ./qpod ps -a --filter "id=${stopped:0:5}" --format '{{.Names}}'
	[ "$output" = stopped ]
	run ./qpod ps -a --filter label=match=me --format '{{.Names}}'
	[ "$output" = running ]
	run ./qpod ps -a --filter label=match=me --filter label=second=tag-no --format '{{.Names}}'
	[ "$output" = "" ]
	run ./qpod ps -a --filter label=match --format '{{.Names}}'
	[ "$output" = "$(printf 'stopped\nrunning')" ]
	run ./qpod ps -a --filter status=exited --filter status=running --format '{{.Names}}'
	[ "${#lines[@]}" -eq 3 ]
	run --separate-stderr ./qpod ps -a -q --filter=status=rubbish
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid filter 'status=rubbish'"* ]]
}

@test "ps: JSON rows, docker's Status text, no ports once the VM is killed" {
	# moby TestPsNotShowPortsOfStoppedContainer; the issue: Created and Status in --format json
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	./qpod run -d --name foo -p "127.0.0.1:$port:5000" "$ROOT" sleep 600 > /dev/null
	run ./qpod ps --format '{{ .Ports }}' --filter name=foo
	[ "$output" = "127.0.0.1:$port->5000/tcp" ]
	run ./qpod ps --format json
	[ "$(jq -r .Names <<<"$output")" = foo ]
	[[ "$(jq -r .Status <<<"$output")" =~ ^Up\  ]]
	[ "$(jq '.Created > 1600000000' <<<"$output")" = true ]
	[[ "$(jq -r .RunningFor <<<"$output")" == *" ago" ]]
	./qpod kill foo > /dev/null
	./qpod wait foo > /dev/null
	run ./qpod ps -a --format '{{ .Ports }}' --filter name=foo
	[ "$output" = "" ]
	run ./qpod ps -a --format '{{.Status}}' --filter name=foo
	[[ "$output" =~ ^Exited\ \(137\)\ .*\ ago$ ]]
}

@test "inspect: docker's shape, --format as scripts use it, RFC 3339 times" {
	# moby TestInspectStatus, TestInspectTimesAsRFC3339Nano, TestInspectInt64, TestInspectDefault
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	id=$(./qpod run -d --name ins -m 300M -e FOO=bar -w /srv -l app=web -p "127.0.0.1:$port:80" --restart on-failure:2 \
		"$ROOT" sleep 600)
	run ./qpod inspect --format '{{.State.Status}}' ins
	[ "$output" = running ]
	run ./qpod inspect -f '{{.Id}} {{.Name}} {{.State.Running}} {{.Config.WorkingDir}} {{.HostConfig.Memory}}' ins
	[ "$output" = "$id /ins true /srv 314572800" ]
	run ./qpod inspect --format '{{json .Config.Env}}' ins
	[ "$(jq -r '.[0]' <<<"$output")" = FOO=bar ]
	run ./qpod inspect --format '{{json .Config.Cmd}} {{index .Config.Labels "app"}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' ins
	[ "$output" = '["sleep","600"] web on-failure:2' ]
	run ./qpod inspect ins
	[ "$(jq -r '.[0].HostConfig.PortBindings["80/tcp"][0].HostPort' <<<"$output")" = "$port" ]
	[ "$(jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostIp' <<<"$output")" = 127.0.0.1 ]
	[ "$(jq '.[0].State.Pid > 0' <<<"$output")" = true ]
	for f in Created State.StartedAt State.FinishedAt; do
		t=$(./qpod inspect -f "{{.$f}}" ins)
		date -d "$t" > /dev/null
		[[ "$t" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$ ]]
	done
	./qpod pause ins > /dev/null
	run ./qpod inspect -f '{{.State.Status}} {{.State.Paused}}' ins
	[ "$output" = "paused true" ]
	./qpod unpause ins > /dev/null
	run ./qpod inspect -f '{{.State.Status}}' ins
	[ "$output" = running ]
	./qpod stop -t 0 ins > /dev/null
	run ./qpod inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' ins
	[ "$output" = "exited 137 false" ]
}

@test "inspect: a missing object is 1 after the others; a bad template" {
	# moby TestInspectStopWhenNotFound, TestInspectTemplateError, TestInspectUnknownObject
	./qpod run -d --name busybox1 "$ROOT" sleep 600 > /dev/null
	./qpod run -d --name busybox2 "$ROOT" sleep 600 > /dev/null
	run --separate-stderr ./qpod inspect --type=container --format='{{.Name}}' missing busybox1 busybox2
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '/busybox1\n/busybox2')" ]
	[[ "$stderr" == *"No such container: missing"* ]]
	run --separate-stderr ./qpod inspect foobar
	[ "$status" -eq 1 ]
	[ "$output" = "[]" ]
	run --separate-stderr ./qpod inspect --format '{{.ThisDoesNotExist}}' busybox1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'no entry for key "ThisDoesNotExist"'* ]]
	# what qpod's templates do not implement: 125 and one line naming it
	run --separate-stderr ./qpod inspect --format '{{range .Config.Env}}{{.}}{{end}}' busybox1
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"{{range}} is not supported"* ]]
}

@test "logs: --tail -1 is every line, flags after NAME, --since and --until" {
	# podman 035-logs _log_test_since, _log_test_until, _log_test_tail; moby TestLogsTail
	before=$(date --iso-8601=seconds)
	./qpod run -d --name lg "$ROOT" sh -c 'echo before; trap "echo after; exit" TERM; while :; do sleep 0.1; done' > /dev/null
	wait_log lg before
	sleep 1.1
	after=$(date --iso-8601=seconds)
	./qpod stop lg > /dev/null
	run ./qpod logs lg --tail -1
	[ "$output" = "$(printf 'before\nafter')" ]
	run ./qpod logs lg --tail 1
	[ "$output" = after ]
	run ./qpod logs -n 1 lg
	[ "$output" = after ]
	run ./qpod logs --since "$before" lg
	[ "$output" = "$(printf 'before\nafter')" ]
	run ./qpod logs lg --since "$after"
	[ "$output" = after ]
	run ./qpod logs --until "$before" lg
	[ "$output" = "" ]
	run ./qpod logs --until "$(date --date='+1 second' --iso-8601=ns)" lg
	[ "$output" = "$(printf 'before\nafter')" ]
	run ./qpod logs --since 1000 lg
	[ "${#lines[@]}" -eq 2 ]
	run ./qpod logs --since 10m lg
	[ "${#lines[@]}" -eq 2 ]
	# moby TestLogsCLIContainerNotFound
	run --separate-stderr ./qpod logs nosuch
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"No such container: nosuch"* ]]
}

@test "exec: the VM's workdir, -w that is missing is 127, -d, the container's umask and groups" {
	# podman e2e exec_test "exec missing working directory test", 075-exec "basic test",
	# "podman run umask", "additional groups"; moby TestExecExitStatus
	./qpod run -d --name ex -w /srv --umask 0724 --group-add 4000 "$ROOT" sleep 600 > /dev/null
	run ./qpod exec ex pwd
	[ "$output" = /srv ]
	run ./qpod exec --workdir /tmp ex pwd
	[ "$output" = /tmp ]
	run -127 --separate-stderr ./qpod exec -w /missing ex pwd
	[[ "$stderr" == *'chdir to `/missing`: No such file or directory'* ]]
	run -127 --separate-stderr ./qpod exec --workdir /missing ex pwd
	[ -z "$output" ]
	run ./qpod exec ex grep Umask /proc/self/status
	[[ "$output" == *0724 ]]
	run ./qpod exec ex sh -c 'grep ^Groups: /proc/1/status; grep ^Groups: /proc/self/status'
	[ "${lines[0]}" = "${lines[1]}" ]
	run ./qpod exec ex sh -c "exit 23"
	[ "$status" -eq 23 ]
	run ./qpod exec -d ex touch /tmp/from-d
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for i in $(seq 50); do ./qpod exec ex test -e /tmp/from-d && break; sleep 0.1; done
	run ./qpod exec ex test -e /tmp/from-d
	[ "$status" -eq 0 ]
	run -127 ./qpod exec ex /no/such/command
	[[ "$output" == *"no such file or directory"* ]]
	run -125 ./qpod exec ex
	run --separate-stderr ./qpod exec nosuch true
	[ "$status" -eq 1 ]
}

@test "the command is PID 1 of its namespace: stop waits for the timeout, then 137" {
	# podman 050-stop "podman stop - basic test" (-t 2, not 10, to stay short), moby's PID namespace
	./qpod run -d --name p1 "$ROOT" sleep 600 > /dev/null
	run ./qpod exec p1 sh -c 'echo $PPID; cat /proc/1/cmdline | tr "\0" " "'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "sleep 600 " ]
	t0=$SECONDS
	run ./qpod stop -t 2 p1
	t1=$SECONDS
	[ "$output" = p1 ]
	[ $((t1 - t0)) -ge 2 ]
	[ $((t1 - t0)) -le 10 ]
	run ./qpod inspect --format '{{.State.Status}} {{.State.ExitCode}}' p1
	[ "$output" = "exited 137" ]
	# --init: hyperstart is the init, and SIGTERM ends sleep at once (docker's tini)
	./qpod run -d --init --name p2 "$ROOT" sleep 600 > /dev/null
	t0=$SECONDS
	./qpod stop -t 20 p2 > /dev/null
	[ $((SECONDS - t0)) -lt 15 ]
	run ./qpod inspect --format '{{.State.ExitCode}}' p2
	[ "$output" = 143 ]
}

@test "stop: a trapped signal ends it at once, --time and --timeout, the name as typed" {
	# podman 050-stop "podman stop - can trap signal", "stop print IDs or raw input"
	for t_opt in '' '--time=5' '--timeout=5'; do
		id=$(./qpod run -d "$ROOT" sh -c "trap 'echo Received SIGTERM, finishing; exit' TERM; echo READY; while :; do sleep 1; done")
		wait_log "$id" READY
		t0=$SECONDS
		run ./qpod stop $t_opt "${id:0:10}"
		[ "$output" = "${id:0:10}" ]
		[ $((SECONDS - t0)) -le 4 ]
		run ./qpod logs "$id"
		[[ "$output" == *READY*"Received SIGTERM, finishing" ]]
		run ./qpod inspect --format '{{.State.ExitCode}}' "$id"
		[ "$output" = 0 ]
	done
	run ./qpod stop "${id:0:10}"
	[ "$status" -eq 0 ]
}

@test "kill -s: names, numbers, -N, -SIG, -s=SIG; bad signals are 125; the name as typed" {
	# podman 130-kill "test signal handling in containers" (a part), "rejects invalid args",
	# "print IDs or raw input"; moby TestKillWithSignal, TestKillofStoppedContainer
	./qpod run -d --name ks "$ROOT" sh -c 'for i in 1 2 10 12 15 28 64; do trap "echo got: $i" $i; done; echo READY;
		while ! test -e /stop; do sleep 0.1; done; echo DONE' > /dev/null
	wait_log ks READY
	n=0
	for s in 1:1 -1:1 INT:2 -INT:2 HUP:1 SIGUSR1:10 -SIGUSR1:10 USR2:12 =TERM:15 64:64 WINCH:28; do
		run ./qpod kill -s "${s%%:*}" ks
		[ "$output" = ks ]
		n=$((n + 1))
		for i in $(seq 100); do [ "$(./qpod logs ks | grep -c '^got:')" -ge "$n" ] && break; sleep 0.1; done
		[ "$(./qpod logs ks | grep '^got:' | tail -1)" = "got: ${s##*:}" ]
	done
	./qpod kill -s=HUP ks > /dev/null
	for i in $(seq 100); do [ "$(./qpod logs ks | grep -c '^got:')" -gt "$n" ] && break; sleep 0.1; done
	[ "$(./qpod logs ks | grep '^got:' | tail -1)" = "got: 1" ]
	run ./qpod inspect -f '{{.State.Running}}' ks
	[ "$output" = true ]
	for s in 0 SIGBADSIG SIG BADSIG %%; do
		run --separate-stderr ./qpod kill -s "$s" ks
		[ "$status" -eq 125 ]
		[ "$stderr" = "qpod: invalid signal: $s" ]
	done
	for s in 65 -65 999; do
		run --separate-stderr ./qpod kill -s "$s" ks
		[ "$status" -eq 125 ]
		[ "$stderr" = "qpod: valid signals are 1 through 64" ]
	done
	./qpod exec -d ks touch /stop
	wait_log ks DONE
	./qpod wait ks > /dev/null
	run --separate-stderr ./qpod kill -s 30 ks
	[ "$status" -eq 1 ]
}

@test "rm: a running VM without -f and a missing one are 1; rm -f of a missing one is a silent 0" {
	# moby TestRmContainerRunning, TestRmInvalidContainer, TestRmContainerForceRemoveRunning;
	# podman 055-rm "podman container rm --force bogus"
	./qpod run -d --name foo "$ROOT" sleep 600 > /dev/null
	run --separate-stderr ./qpod rm foo
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot remove a running container"* ]]
	[[ "$stderr" == *"Stop the container before attempting removal or force remove"* ]]
	run --separate-stderr ./qpod rm unknown
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"No such container"* ]]
	run ./qpod rm --force bogus
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	run ./qpod rm -f bogus foo
	[ "$status" -eq 0 ]
	[ "$output" = foo ]
	run -1 ./qpod wait foo
}

@test "kill and --restart always: the stop signal ends the policy, another signal keeps it" {
	# podman 130-kill "podman kill - no restart"; moby integration/container/kill_test.go
	# TestKillWithStopSignalAndRestartPolicies (same-signal / different-signal)
	./qpod run -d --restart=always --name nr "$ROOT" sh -c "trap 'exit 42' TERM; echo READY; while :; do sleep 0.2; done" > /dev/null
	wait_log nr READY
	run ./qpod kill -s=TERM nr
	run ./qpod wait nr
	[ "$output" = 42 ]
	run ./qpod inspect --format '{{.State.Status}} {{.State.StoppedByUser}} {{.RestartCount}}' nr
	[ "$output" = "exited true 0" ]
	./qpod run -d --restart=always --stop-signal CONT --name keep "$ROOT" sh -c "trap 'exit 42' TERM; echo READY; while :; do sleep 0.2; done" > /dev/null
	wait_log keep READY
	./qpod kill -s TERM keep > /dev/null
	for i in $(seq 300); do [ "$(./qpod inspect -f '{{.RestartCount}}' keep)" -ge 1 ] && break; sleep 0.1; done
	wait_state keep running
	run ./qpod inspect -f '{{.RestartCount}} {{.State.Status}}' keep
	[ "$output" = "1 running" ]
}

@test "restart: a running VM's command runs again, an ended VM boots again; the log goes on" {
	# moby TestRestartRunningContainer, TestRestartStoppedContainer
	id=$(./qpod run -d "$ROOT" sh -c "echo foobar && sleep 30 && echo 'should not print this'")
	wait_log "$id" foobar
	run ./qpod restart -t 1 "${id:0:12}"
	[ "$status" -eq 0 ]
	[ "$output" = "${id:0:12}" ]
	for i in $(seq 100); do [ "$(./qpod logs "$id")" = "$(printf 'foobar\nfoobar')" ] && break; sleep 0.1; done
	[ "$(./qpod logs "$id")" = "$(printf 'foobar\nfoobar')" ]
	[ "$(./qpod inspect -f '{{.State.Status}}' "$id")" = running ]
	id=$(./qpod run -d "$ROOT" sh -c "echo foobar && exit 0")
	./qpod wait "$id" > /dev/null
	[ "$(./qpod inspect -f '{{.State.Status}}' "$id")" = exited ]
	run ./qpod restart "$id"
	[ "$status" -eq 0 ]
	./qpod wait "$id" > /dev/null
	[ "$(./qpod logs "$id")" = "$(printf 'foobar\nfoobar')" ]
	run -1 ./qpod restart nosuch
}

@test "pause and unpause: ps and inspect say so, exec is refused, stop still works; events" {
	# moby TestPause, TestStopPausedContainer, TestExecPausedContainer, TestPsListContainersFilterStatus;
	# TestRmPausedContainer
	since=$(date +%s)
	./qpod run -d --name pz "$ROOT" sh -c 'while :; do date +%s > /tmp/t; sleep 0.2; done' > /dev/null
	for i in $(seq 100); do ./qpod exec pz test -s /tmp/t && break; sleep 0.1; done
	run ./qpod pause pz
	[ "$output" = pz ]
	run ./qpod ps -f status=paused -q -a
	[ "${#lines[@]}" -eq 1 ]
	run ./qpod ps --format '{{.Status}}'
	[[ "$output" == *"(Paused)" ]]
	run --separate-stderr ./qpod exec pz true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pz is paused, unpause the container before exec"* ]]
	run --separate-stderr ./qpod rm pz
	[[ "$stderr" == *"cannot remove a paused container"* ]]
	run ./qpod unpause pz
	[ "$output" = pz ]
	# it goes on where it stopped: the loop writes the time again
	before=$(./qpod exec pz cat /tmp/t)
	for i in $(seq 50); do [ "$(./qpod exec pz cat /tmp/t)" != "$before" ] && break; sleep 0.1; done
	run ./qpod exec pz cat /tmp/t
	[ "$output" -gt "$before" ]
	./qpod pause pz > /dev/null
	./qpod stop -t 1 pz > /dev/null
	run ./qpod inspect -f '{{.State.Running}}' pz
	[ "$output" = false ]
	run ./qpod events --since "$since" --until 0s --filter container=pz --format '{{.Action}}'
	[[ "$(echo $output)" == "start pause unpause pause "*" die" ]]
}

@test "port: the published ports; one port, a range, a port not published is 1" {
	# moby TestPortList (IPv4 only: qemu's user network forwards no IPv6)
	base=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	id=$(./qpod run -d -p "127.0.0.1:$base:80" -p "127.0.0.1:$((base + 1))-$((base + 3)):81-83" "$ROOT" httpd -f -p 82 -h /etc)
	run ./qpod port "$id" 80
	[ "$output" = "127.0.0.1:$base" ]
	run ./qpod port "$id"
	[ "$output" = "$(printf '80/tcp -> 127.0.0.1:%s\n81/tcp -> 127.0.0.1:%s\n82/tcp -> 127.0.0.1:%s\n83/tcp -> 127.0.0.1:%s' \
		"$base" $((base + 1)) $((base + 2)) $((base + 3)))" ]
	# docker joins a run of ports on both sides into one range
	run ./qpod ps --format '{{.Ports}}'
	[ "$output" = "127.0.0.1:$base-$((base + 3))->80-83/tcp" ]
	for i in $(seq 100); do curl -sf -m 2 "http://127.0.0.1:$((base + 2))/passwd" > /dev/null && break; sleep 0.1; done
	run curl -sf -m 5 "http://127.0.0.1:$((base + 2))/passwd"
	[[ "$output" == root:* ]]
	run --separate-stderr ./qpod port "$id" 9999
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"No public port '9999/tcp' published"* ]]
	run --separate-stderr ./qpod run -p 8000-8001:80-82 "$ROOT" true
	[ "$status" -eq 125 ]
}

@test "top: the container's processes as ps -ef; -o picks ps's fields" {
	# moby TestTopNonPrivileged, TestTopMultipleArgs; podman 085-top (PID 1 is the command)
	./qpod run -d --name tp "$ROOT" top > /dev/null
	wait_state tp running
	run ./qpod top tp
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
	[[ "${lines[1]}" =~ ^root\ +1\ +0\ + ]]
	[[ "$output" == *top* ]]
	run ./qpod top tp -o pid
	[ "${lines[0]}" = PID ]
	run ./qpod top tp -eo pid,comm
	[[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]]
	[[ "${lines[1]}" =~ ^1\ +top$ ]]
	run -125 ./qpod top tp aux
}

@test "a named foreground run: ps, exec and kill reach it from another shell; its name is freed" {
	# the issue; podman 130-kill runs its signal test on a foreground --name container
	./qpod run --name fg "$ROOT" sh -c 'trap "echo got-usr1" USR1; echo READY; while ! test -e /stop; do sleep 0.1; done' \
		> "$BATS_TEST_TMPDIR/fg" &
	pid=$!
	for i in $(seq 300); do grep -q READY "$BATS_TEST_TMPDIR/fg" && break; sleep 0.1; done
	run ./qpod ps --format '{{.Names}} {{.State}}'
	[ "$output" = "fg running" ]
	run ./qpod kill -s USR1 fg
	[ "$output" = fg ]
	for i in $(seq 100); do grep -q got-usr1 "$BATS_TEST_TMPDIR/fg" && break; sleep 0.1; done
	grep -q got-usr1 "$BATS_TEST_TMPDIR/fg"
	./qpod exec fg touch /stop
	wait $pid
	run ./qpod ps -a -q
	[ -z "$output" ]
	[ ! -e "$QPOD_STATE/names/fg" ]
	run --separate-stderr ./qpod run --name fg "$ROOT" true
	[ "$status" -eq 0 ]
}

@test "run -a: only the streams attached; -a with -d is 1" {
	# moby TestRunAttachStdErrOnlyTTYMode, ...StdOutOnlyTTYMode, TestRunAttachWithDetach
	run --separate-stderr ./run -a stderr "$ROOT" sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = err ]
	run --separate-stderr ./run --attach STDOUT "$ROOT" sh -c 'echo out; echo err >&2'
	[ "$output" = out ]
	[ "$stderr" = "" ]
	run ./run -t -a stderr "$ROOT" true
	[ "$status" -eq 0 ]
	run --separate-stderr ./run -d --attach stdout "$ROOT" true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Conflicting options: -a and -d"* ]]
	run -125 ./run -a stdio "$ROOT" true
}

@test "run: ulimit -u as docker's; --tmpfs nested in either order" {
	# the issue's docker run cases: ulimit -u 1048576, --tmpfs /a then /a/b
	run ./run "$ROOT" sh -c 'ulimit -u; ulimit -n'
	[ "$output" = "$(printf '1048576\n1048576')" ]
	for order in "--tmpfs /a --tmpfs /a/b" "--tmpfs /a/b --tmpfs /a"; do
		run ./run $order "$ROOT" sh -c 'touch /a/b/x && grep -c " /a/b tmpfs" /proc/mounts && grep -c " /a tmpfs" /proc/mounts'
		[ "$status" -eq 0 ]
		[ "$output" = "$(printf '1\n1')" ]
	done
}
