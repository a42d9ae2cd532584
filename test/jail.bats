#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# jail.bats: every qemu qpod starts is jailed (runner/vm/jail.c), checked on the
# running qemu's /proc, in every way qpod starts one: a restored run, a cold
# one, one that saves a template, `qpod warm`, a detached VM and the VM a
# restart boots again, a bundle, the host-loopback network, and an arm64
# guest (qemu-system-aarch64, restored and cold). What must
# hold: seccomp on (qemu's -sandbox), no_new_privs, no capability at all, not
# root (the qpod account under root), a mount, PID, IPC and UTS namespace of
# its own (and a network one unless the host's loopback was asked for), a
# root directory that is not the host's and holds only what the VM needs,
# an empty environment, rlimits. The same as a normal user: rootless.bats.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache QPOD_STATE=$BATS_FILE_TMPDIR/state
}

setup() {
	need_images
	cd "$REPO"
	unset QPOD_NO_SNAPSHOT
}

teardown() {
	stop_bg
	rm_all_vms
}

# child_of PID PATTERN: the child of PID whose command line starts with PATTERN, once it runs (10 s at most)
child_of() {
	local i c
	for i in $(seq 200); do
		c=$(pgrep -P "$1" -f "^$2" | head -1)
		if [ -n "$c" ]; then
			echo "$c"
			return 0
		fi
		sleep 0.05
	done
	echo "no $2 under $1" >&2
	return 1
}

qemu_of() { child_of "$1" 'qemu-system-[a-z0-9_]* -nodefaults'; }

# jailed QEMU [host-net]: the jail as jail.h says, on /proc/QEMU
jailed() {
	local q=$1 st ns want_uid want_gid i
	# qemu sets its seccomp filter in its first milliseconds, before the guest runs
	for i in $(seq 200); do
		grep -q $'^Seccomp:\t2$' "/proc/$q/status" && break
		sleep 0.05
	done
	st=$(cat "/proc/$q/status")
	echo "$st" | grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp)'
	want_uid=$(id -u qpod)
	want_gid=$(id -g qpod)
	[[ "$st" == *$'\nSeccomp:\t2\n'* ]]
	[[ "$st" == *$'\nNoNewPrivs:\t1\n'* ]]
	[[ "$st" == *$'\nCapEff:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nCapPrm:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nCapBnd:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nCapAmb:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nUid:\t'"$want_uid"$'\t'"$want_uid"$'\t'"$want_uid"$'\t'"$want_uid"$'\n'* ]]
	[[ "$st" == *$'\nGid:\t'"$want_gid"$'\t'"$want_gid"$'\t'"$want_gid"$'\t'"$want_gid"$'\n'* ]]
	grep -qE '^Groups:\s*$' "/proc/$q/status"
	for ns in mnt pid ipc uts user; do
		[ "$(readlink "/proc/$q/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ]
	done
	if [ "${2:-}" = host-net ]; then
		[ "$(readlink "/proc/$q/ns/net")" = "$(readlink /proc/self/ns/net)" ]
	else
		[ "$(readlink "/proc/$q/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	fi
	# its root: not the host's, and only qemu's program and the VM's files
	[ "$(stat -L -c %d:%i "/proc/$q/root")" != "$(stat -c %d:%i /)" ]
	ls -A "/proc/$q/root"
	[ -z "$(ls -A "/proc/$q/root" | grep -vxE 'bin|sbin|lib|lib32|lib64|libx32|usr|etc|dev|proc|vm')" ]
	[ -z "$(ls -A "/proc/$q/root/dev" | grep -vxE 'null|zero|urandom|random|kvm')" ]
	[ ! -s "/proc/$q/environ" ]
	grep -E '^Max core file size +0 +0 ' "/proc/$q/limits"
	grep -E '^Max open files +4096 +4096 ' "/proc/$q/limits"
}

@test "a restored run's qemu is jailed" {
	./run "$ROOT" true
	./run "$ROOT" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
}

@test "an arm64 guest's qemu is jailed, restored and cold" {
	local arm=$OUT/images-arm64/busybox.tar
	[ "$(uname -m)" != aarch64 ] || arm=$IMAGES/busybox.tar
	[ -f "$arm" ] || fail_now "missing: $arm: run \`make image ARCH=arm64\` first"
	./run "$arm" true
	./run "$arm" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	[[ "$(tr '\0' ' ' < "/proc/$q/cmdline")" == "qemu-system-aarch64 "* ]]
	jailed "$q"
	# no firmware: the kernel and initrd alone are the VM's boot files
	[ ! -e "/proc/$q/root/vm/bios" ]
	kill $bg
	wait $bg || true
	./run --no-snapshot "$arm" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
}

@test "a cold run's qemu is jailed" {
	./run --no-snapshot "$ROOT" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
}

@test "the qemu of a run that saves a template is jailed, and the template it saved restores" {
	rm -rf "$QPOD_CACHE/templates"
	./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" sleep 5 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
	wait $bg
	[ "$(jq -r .snapshot "$BATS_TEST_TMPDIR/r.json")" = "cold; template saved" ]
	run ./run --result "$BATS_TEST_TMPDIR/r2.json" "$ROOT" echo again
	[ "$status" -eq 0 ]
	[ "$output" = again ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r2.json")" = restore ]
}

@test "qpod warm's qemu is jailed" {
	rm -rf "$QPOD_CACHE/templates"
	./qpod warm &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
	wait $bg
}

@test "an image's qemu is jailed, and so is a bundle's" {
	./run "$IMAGES/busybox.tar" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
	kill $bg
	wait $bg || true
	./qpod bundle "$IMAGES/busybox.tar" -o "$BATS_TEST_TMPDIR/app.qpod"
	./run "$BATS_TEST_TMPDIR/app.qpod" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q"
}

@test "a detached VM's qemu is jailed, and so is the one a restart boots after the VM died" {
	id=$(./qpod run -d --restart always "$ROOT" sleep 600)
	q=$(jq -r .qemuPid "$QPOD_STATE/$id/state.json")
	jailed "$q"
	kill -KILL "$q"
	for i in $(seq 300); do
		q2=$(jq -r .qemuPid "$QPOD_STATE/$id/state.json")
		[ "$q2" != "$q" ] && [ "$(jq -r .status "$QPOD_STATE/$id/state.json")" = running ] && break
		sleep 0.1
	done
	[ "$q2" != "$q" ]
	jailed "$q2"
}

@test "with the host's loopback asked for, qemu keeps the host's network namespace, and the rest of its jail" {
	./run --network user:allow_host_loopback=true "$ROOT" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	jailed "$q" host-net
}

@test "pasta, the default network's way out, runs as the qpod account in its own sandbox, and goes with a killed run" {
	./run "$ROOT" sleep 30 &
	bg=$!
	q=$(qemu_of $bg)
	# pasta is the child of its guardian, a child of the run (runner/vm/pasta.c)
	for i in $(seq 200); do
		p=$(for g in $(pgrep -P $bg); do pgrep -P "$g" -f '^pasta '; done | head -1)
		[ -n "$p" ] && break
		sleep 0.05
	done
	st=$(cat "/proc/$p/status")
	[[ "$st" == *$'\nUid:\t'"$(id -u qpod)"$'\t'* ]]
	[[ "$st" == *$'\nSeccomp:\t2\n'* ]]
	[[ "$st" == *$'\nNoNewPrivs:\t1\n'* ]]
	[ "$(readlink "/proc/$p/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	# the run killed outright: qemu and pasta go with it
	local g left_p=0 left_q=0
	g=$(ps -o ppid= -p "$p" | tr -d ' ')
	kill -KILL $bg
	for i in $(seq 100); do
		if kill -0 "$p" 2>/dev/null || kill -0 "$q" 2>/dev/null; then sleep 0.1; else break; fi
	done
	if kill -0 "$p" 2>/dev/null; then left_p=1; fi
	if kill -0 "$q" 2>/dev/null; then left_q=1; fi
	# whatever a broken guardian left goes now, so a red test leaves nothing running
	kill -KILL "$p" "$q" "$g" 2>/dev/null || true
	[ "$left_p" = 0 ]
	[ "$left_q" = 0 ]
}

@test "without the qpod account, a root run is refused before qemu starts: 125 and one line" {
	# a copy of the account files without it, in a mount namespace of the test's own
	run --separate-stderr unshare -m sh -c '
		set -e
		grep -v "^qpod:" /etc/passwd > "$0/passwd"
		mount --bind "$0/passwd" /etc/passwd
		exec ./run "$1" echo never' "$BATS_TEST_TMPDIR" "$ROOT"
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *'qemu runs as the account "qpod", which this host lacks (make deps creates it)'* ]]
}
