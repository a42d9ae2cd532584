#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cli.bats: `qpod COMMAND`, the dispatcher: docker's habits for a command
# line with subcommands (usage, unknown commands, --help, --version).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	need_images
	cd "$REPO"
}

@test "qpod without a command: usage on stderr, 125" {
	run --separate-stderr ./qpod
	[ "$status" -eq 125 ]
	[[ "$stderr" == "usage: qpod COMMAND"* ]]
	[ -z "$output" ]
}

@test "an unknown command: one line naming it, 125" {
	run --separate-stderr ./qpod frobnicate
	[ "$status" -eq 125 ]
	[ "$stderr" = "qpod: 'frobnicate' is not a qpod command (see qpod --help)" ]
}

@test "qpod --help lists the commands; --version names the protocol" {
	run ./qpod --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"  run "* ]]
	[[ "$output" == *"  cache "* ]]
	run ./qpod --version
	[ "$status" -eq 0 ]
	[[ "$output" == "qpod "*"(protocol "*")" ]]
}

@test "./run is qpod run; qpod cache ls|prune is run's --cache" {
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	mk_bbroot "$BATS_TEST_TMPDIR/root"
	run ./qpod run "$BATS_TEST_TMPDIR/root" echo same
	[ "$status" -eq 0 ]
	[ "$output" = same ]
	run ./qpod run "$IMAGES/busybox.tar" true
	[ "$status" -eq 0 ]
	run ./qpod cache ls
	[ "$status" -eq 0 ]
	[[ "$output" == *"qpod/busybox:latest"* ]]
	run ./qpod cache prune
	[ "$status" -eq 0 ]
	run ./qpod cache ls
	[ "$status" -eq 0 ]
	[[ "$output" != *"qpod/busybox:latest"* ]]
	[ "${#lines[@]}" -eq 1 ] # the header alone
	[[ "${lines[0]}" == "IMAGE "* ]]
	run ./qpod cache bogus
	[ "$status" -eq 125 ]
}

@test "qpod starts with libc and libm only: libcurl is opened when a registry is spoken to (bundle/curl.h)" {
	run readelf -d "$QPOD"
	[ "$status" -eq 0 ]
	[ "$(grep NEEDED <<<"$output" | grep -o '\[.*\]' | sort | tr '\n' ' ')" = "[libc.so.6] [libm.so.6] " ]
}
