#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# health.bats: health checks of VMs that keep running, as docker runs them
# (moby's integration-cli/docker_cli_health_test.go and
# integration/container/health_test.go, podman's test/system/220-healthcheck.bats
# and 260-sdnotify.bats; each case names its source): the image's
# HEALTHCHECK and the --health-* flags, run in the guest; starting, healthy,
# unhealthy and back, in ps, inspect's State.Health and events; timeouts and
# the start period; systemd readiness through $NOTIFY_SOCKET.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
	# moby TestHealth's image: CMD sleep, STOPSIGNAL SIGKILL, HEALTHCHECK
	# --interval=1s --timeout=30s CMD cat /status (the command writes /status)
	export HCTAR=$BATS_FILE_TMPDIR/testhealth.tar NOHCTAR=$BATS_FILE_TMPDIR/nohealth.tar
	test/compat/image-config.py "$IMAGES/busybox.tar" "$HCTAR" \
		'{"Cmd":["/bin/sleep","120"],"StopSignal":"SIGKILL","Healthcheck":{"Test":["CMD-SHELL","cat /status"],"Interval":1000000000,"Timeout":30000000000}}'
	# ... and FROM testhealth HEALTHCHECK NONE
	test/compat/image-config.py "$HCTAR" "$NOHCTAR" '{"Healthcheck":{"Test":["NONE"]}}'
}

setup() {
	need_images
	cd "$REPO"
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
}

teardown() {
	rm_all_vms
	[ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
}

# wait_health NAME STATUS: until State.Health.Status is STATUS, at most 60 s.
wait_health() {
	local i
	for i in $(seq 600); do
		[ "$(./qpod inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "$1: health is $(./qpod inspect -f '{{.State.Health.Status}}' "$1"), not $2"
	return 1
}

@test "the image's HEALTHCHECK: starting, healthy, unhealthy, healthy again; ps and inspect say so" {
	# moby TestHealth (the first part)
	./qpod run -d --name test_health "$HCTAR" sh -c 'echo OK > /status; exec sleep 120' > /dev/null
	run ./qpod inspect --format='timeout={{.Config.Healthcheck.Timeout}} interval={{.Config.Healthcheck.Interval}} retries={{.Config.Healthcheck.Retries}} test={{.Config.Healthcheck.Test}}' test_health
	[ "$output" = "timeout=30s interval=1s retries=0 test=[CMD-SHELL cat /status]" ]
	wait_health test_health healthy
	run ./qpod ps --format '{{.Status}}'
	[[ "$output" =~ ^Up\ .*\ \(healthy\)$ ]]
	run ./qpod ps --filter health=healthy --format '{{.Names}}'
	[ "$output" = test_health ]
	./qpod exec test_health rm /status
	wait_health test_health unhealthy
	run ./qpod inspect --format='{{.State.Health.Status}}' test_health
	[ "$output" = unhealthy ]
	run ./qpod ps --format '{{.Status}}'
	[[ "$output" == *"(unhealthy)" ]]
	run ./qpod ps --filter health=healthy -q
	[ -z "$output" ]
	./qpod exec test_health touch /status
	wait_health test_health healthy
	run ./qpod inspect --format='{{.State.Health.FailingStreak}}' test_health
	[ "$output" = 0 ]
}

@test "--health-* over an image's HEALTHCHECK NONE: State.Health's log, its output, the failing streak" {
	# moby TestHealth (the second part: fatal_healthcheck)
	run ./qpod run -d --name noh --no-healthcheck "$HCTAR"
	[ "$status" -eq 0 ]
	run ./qpod inspect --format='{{.Config.Healthcheck.Test}}' noh
	[ "$output" = "[NONE]" ]
	run ./qpod ps --format '{{.Status}}' --filter name=noh
	[[ "$output" =~ ^Up\ [^\(]*$ ]]
	run ./qpod ps --filter health=none -q
	[ "${#lines[@]}" -eq 1 ]
	./qpod run -d --name=fatal_healthcheck --health-interval=1s --health-retries=3 --health-cmd="cat /status" \
		"$NOHCTAR" sh -c 'echo OK > /status; exec sleep 120' > /dev/null
	wait_health fatal_healthcheck healthy
	run ./qpod inspect --format='{{json .State.Health}}' fatal_healthcheck
	[ "$(jq -r .Status <<<"$output")" = healthy ]
	[ "$(jq .FailingStreak <<<"$output")" = 0 ]
	[ "$(jq '.Log[-1].ExitCode' <<<"$output")" = 0 ]
	[ "$(jq -r '.Log[-1].Output' <<<"$output")" = OK ]
	[ "$(jq -r '.Log[-1].Output | endswith("\n")' <<<"$output")" = true ]
	date -d "$(jq -r '.Log[-1].Start' <<<"$output")" > /dev/null
	./qpod exec fatal_healthcheck rm /status
	wait_health fatal_healthcheck unhealthy
	run ./qpod inspect --format='{{.State.Health.FailingStreak}}' fatal_healthcheck
	[ "$output" -ge 3 ]
	# docker keeps the last 5 results
	for i in $(seq 100); do [ "$(./qpod inspect -f '{{len .State.Health.Log}}' fatal_healthcheck)" -eq 5 ] && break; sleep 0.1; done
	run ./qpod inspect -f '{{len .State.Health.Log}}' fatal_healthcheck
	[ "$output" = 5 ]
	run --separate-stderr ./qpod run -d --no-healthcheck --health-cmd true "$HCTAR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--no-healthcheck conflicts with --health-* options"* ]]
}

@test "a check that outlives --health-timeout is killed: exit code -1, docker's message" {
	# moby TestHealth (check timeout), integration TestHealthCheckProcessKilled
	./qpod run -d --name=test --health-interval=1s --health-cmd="sleep 5m" --health-timeout=1s "$HCTAR" > /dev/null
	wait_health test unhealthy
	run ./qpod inspect --format='{{json .State.Health}}' test
	[ "$(jq '.Log[-1].ExitCode' <<<"$output")" = -1 ]
	[ "$(jq -r '.Log[-1].Output' <<<"$output")" = "Health check exceeded timeout (1s)" ]
	./qpod run -d --name=said --health-interval=1s --health-cmd='echo "logs1 logs2 logs3"; sleep 60' \
		--health-timeout=500ms --health-retries=1 "$HCTAR" > /dev/null
	wait_health said unhealthy
	run ./qpod inspect --format='{{json .State.Health}}' said
	[ "$(jq -r '.Log[-1].Output' <<<"$output")" = "$(printf 'Health check exceeded timeout (500ms): logs1 logs2 logs3\n')" ]
}

@test "failures inside --health-start-period do not count; the check runs as the container's user and env" {
	# moby daemon/health.go's start period; integration TestHealthCheckWorkdir; TestUnsetEnvVarHealthCheck
	./qpod run -d --name sp --health-start-period 60s --health-start-interval 1s --health-cmd false "$HCTAR" > /dev/null
	for i in $(seq 100); do [ "$(./qpod inspect -f '{{len .State.Health.Log}}' sp)" -ge 2 ] && break; sleep 0.1; done
	run ./qpod inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{len .State.Health.Log}}' sp
	[[ "$output" =~ ^starting\ 0\ [2-9]$ ]]
	env -u QPOD_NOPE ./qpod run -d --name wd -w /srv -u 1000 -e QPOD_NOPE -e SET=yes --health-interval 1s \
		--health-cmd 'test "$(pwd) $(id -u) ${QPOD_NOPE-unset} $SET" = "/srv 1000 unset yes"' "$HCTAR" sleep 120 > /dev/null
	wait_health wd healthy
}

@test "a change of health is an event: health_status in qpod events" {
	# podman 220-healthcheck _check_health (events --filter event=health_status)
	since=$(date +%s)
	./qpod run -d --name ev --health-interval 1s --health-retries 1 --health-cmd 'cat /status' "$HCTAR" \
		sh -c 'echo OK > /status; exec sleep 120' > /dev/null
	wait_health ev healthy
	./qpod exec ev rm /status
	wait_health ev unhealthy
	run ./qpod events --since "$since" --until 0s --filter container=ev --filter event=health_status --format '{{.HealthStatus}}'
	[ "$output" = "$(printf 'healthy\nunhealthy')" ]
	run ./qpod events --since "$since" --until 0s --filter event=health_status --format json
	[ "$(jq -r .Action <<<"${lines[0]}")" = "health_status: healthy" ]
	[ "$(jq -r .Actor.Attributes.name <<<"${lines[0]}")" = ev ]
}

@test "systemd readiness: READY=1 and MAINPID once the command runs, or once healthy with --sdnotify healthy" {
	# podman 260-sdnotify "sdnotify : conmon", "sdnotify : healthy"
	sock=$BATS_TEST_TMPDIR/notify.sock out=$BATS_TEST_TMPDIR/notify.out
	notify_listen "$sock" "$out"
	NOTIFY_SOCKET=$sock ./qpod run -d --name cm "$HCTAR" sleep 120 > /dev/null
	for i in $(seq 50); do grep -q READY=1 "$out" && break; sleep 0.1; done
	[ "$(grep -c READY=1 "$out")" -eq 1 ]
	[ "$(grep READY=1 "$out")" = "MAINPID=$(./qpod inspect -f '{{.State.ConmonPid}}' cm) READY=1" ]
	: > "$out"
	NOTIFY_SOCKET=$sock ./qpod run -d --name hl --sdnotify healthy --health-interval 1s --health-cmd 'cat /status' \
		"$HCTAR" sh -c 'sleep 3; echo OK > /status; exec sleep 120' > /dev/null
	# the monitor is the main process at once (run -d exits); READY=1 waits for the check
	[ "$(head -1 "$out")" = "MAINPID=$(./qpod inspect -f '{{.State.ConmonPid}}' hl)" ]
	sleep 1
	run grep -c READY=1 "$out"
	[ "$output" = 0 ]
	wait_health hl healthy
	for i in $(seq 50); do grep -q READY=1 "$out" && break; sleep 0.1; done
	grep -q "^STATUS=healthy" "$out"
	[ "$(grep -c '^READY=1$' "$out")" -eq 1 ]
	run -125 ./qpod run -d --sdnotify container "$HCTAR"
}
