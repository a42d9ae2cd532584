#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# stress.bats: 20 detached VMs at once on this 2-core machine, each with a
# published port and an exec into it, then a stop of all of them: every
# exec's status right, every page served, every VM gone, nothing left
# (no qemu, no monitor, no state). Bounded: each step has a deadline.

load helpers
bats_require_minimum_version 1.5.0

N=20

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	mkdir -p "$ROOT/www"
	echo stress > "$ROOT/www/index.html"
}

setup() {
	need_images
	cd "$REPO"
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
}

teardown() {
	rm_all_vms
}

@test "20 VMs with a published port each: exec into each, stop all, nothing left" {
	ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(20)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
	i=0
	pids=()
	for p in $ports; do
		i=$((i + 1))
		timeout 120 ./qpod run -d --name "s$i" -p "127.0.0.1:$p:80" "$ROOT" httpd -f -p 80 -h /www > /dev/null &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid"; done
	run ./qpod ps --filter status=running -q
	[ "${#lines[@]}" -eq "$N" ]
	pids=()
	for i in $(seq "$N"); do
		timeout 60 ./qpod exec "s$i" sh -c "exit $i" &
		pids+=($!)
	done
	fails=0
	for i in $(seq "$N"); do
		wait "${pids[i - 1]}" && c=0 || c=$?
		[ "$c" -eq "$i" ] || { echo "exec $i gave $c"; fails=$((fails + 1)); }
	done
	[ "$fails" -eq 0 ]
	for p in $ports; do
		run curl -sf -m 10 "http://127.0.0.1:$p/index.html"
		[ "$output" = stress ] || { echo "port $p: $output"; return 1; }
	done
	names=$(seq -f 's%g' 1 "$N")
	run timeout 120 ./qpod stop -t 2 $names
	[ "$status" -eq 0 ]
	run ./qpod ps -q
	[ -z "$output" ]
	run timeout 60 ./qpod rm $names
	[ "$status" -eq 0 ]
	[ -z "$(ls "$QPOD_STATE" | grep -v '^names$')" ]
	[ -z "$(ls "$QPOD_STATE/names")" ]
	run pgrep -f "qemu-system.*$ROOT"
	[ "$status" -eq 1 ]
}
