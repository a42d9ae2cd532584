#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pipe.bats: ./run in a shell pipeline whose reader goes away (CLOSEOUTPUT in
# docs/protocol.md): the command meets the closed pipe as it would locally,
# and ./run ends with the command's status. Each test boots a VM.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
}

setup() {
	need_images
	cd "$REPO"
}

@test "stderr's reader goes away: the command gets SIGPIPE, ./run exits 141" {
	run timeout 60 bash -c './run "$ROOT" sh -c "while :; do echo e >&2; done" 2> >(head -c1 > "$BATS_TEST_TMPDIR/err"); echo "rc=$?"'
	[ "$output" = rc=141 ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = e ]
}

@test "stdout and stderr on one pipe: both close, ./run exits 141" {
	run timeout 60 bash -c './run "$ROOT" sh -c "yes 2>&1" 2>&1 | head -c 4; echo " rc=${PIPESTATUS[0]}"'
	[ "$output" = $'y\ny\n rc=141' ]
}

@test "a command that ignores SIGPIPE gets EPIPE and goes on" {
	run timeout 60 bash -c './run "$ROOT" sh -c "trap \"\" PIPE; yes; echo yes=\$? >&2; exit 7" | head -c 2; echo "rc=${PIPESTATUS[0]}"'
	[ "${lines[0]}" = y ]
	[[ "$output" == *yes=1* ]]
	[ "${lines[-1]}" = rc=7 ]
}

@test "with a terminal, a gone reader hangs the terminal up: 129" {
	run timeout 60 bash -c './run -t "$ROOT" yes | head -c 2 >/dev/null; echo "rc=${PIPESTATUS[0]}"'
	[ "$output" = rc=129 ]
}
