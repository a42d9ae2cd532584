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
