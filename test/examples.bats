#!/usr/bin/env bats
# examples.bats: the files under examples/ are exact for the systems they
# are written for, and their commands work as written.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	need_images
	cd "$REPO"
}

@test "examples/systemd/qpod-app.service passes systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || fail_now "systemd-analyze is missing (make deps-test)"
	unit=$BATS_TEST_TMPDIR/qpod-app.service
	# The unit names the installed path; verify it against the built runner.
	sed "s|/usr/local/bin/qpod|$QPOD|" examples/systemd/qpod-app.service > "$unit"
	run systemd-analyze verify "$unit"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Unknown"* ]]
}

@test "the unit's stop is qpod's graceful stop: SIGTERM, then SIGKILL after --stop-timeout" {
	root=$BATS_TEST_TMPDIR/root
	mk_bbroot "$root"
	# What systemd does at `systemctl stop`: SIGTERM to qpod, as KillSignal says.
	./qpod run --stop-timeout 1 "$root" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done' > "$BATS_TEST_TMPDIR/o" &
	pid=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/o" && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid && status=0 || status=$?
	[ "$status" -eq 137 ]
}
