#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# slurm.bats: examples/slurm on a real Slurm. test/slurm/cluster.sh starts
# Debian's munged, slurmctld and slurmd as a private one-node cluster in a
# temporary directory and a network namespace of its own (loopback only);
# the suite submits qpod-array.sbatch as a job array of 8 VMs whose
# commands exit with different codes, waits with a deadline, checks every
# task's exit code, output and --result JSON, then summary.sh. The cluster
# is stopped at the end whatever happens: by teardown_file, and by the
# watchdog if this process dies first.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	need_images
	[ "$(id -u)" = 0 ] || skip "Slurm's slurmd needs root to start jobs"
	CLUSTER=$(mktemp -d /tmp/qpod-slurm.XXXXXX)
	export CLUSTER WORK=$BATS_FILE_TMPDIR/work
	mkdir -p "$WORK"
	"$REPO/test/slurm/cluster.sh" start "$CLUSTER" $$
	"$QPOD" bundle "$IMAGES/busybox.tar" -o "$WORK/app.qpod" > /dev/null
}

teardown_file() {
	if [ -n "${CLUSTER:-}" ]; then
		"$REPO/test/slurm/cluster.sh" stop "$CLUSTER"
		rm -rf "$CLUSTER"
	fi
}

setup() {
	[ -n "${CLUSTER:-}" ] || fail_now "setup_file started no cluster"
	cd "$WORK"
}

# sl CMD...: a Slurm client inside the cluster's namespace
sl() { "$REPO/test/slurm/cluster.sh" exec "$CLUSTER" "$@"; }

# submit ARGS...: sbatch the example with the test's qpod and a cache of its
# own; prints the job id
submit() {
	sl env QPOD="$QPOD" QPOD_CACHE="$WORK/cache" \
		sbatch --parsable --chdir="$WORK" "$@"
}

# wait_job JOB: until Slurm has no task of JOB left (deadline 300 s)
wait_job() {
	local end=$((SECONDS + 300))
	while [ -n "$(sl squeue -h -j "$1" 2>/dev/null)" ]; do
		[ $SECONDS -lt $end ] || { sl squeue -j "$1"; return 1; }
		sleep 1
	done
}

exit_code() { # exit_code JOB_TASK: Slurm's ExitCode=CODE:SIGNAL
	sl scontrol show job "$1" | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p'
}

@test "the cluster listens on loopback only: its namespace has lo and nothing else" {
	run sl ip -o link show
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *" lo: "* ]]
	ctld=$(cat "$CLUSTER/slurmctld.pid")
	[ "$(readlink "/proc/$ctld/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	# the host's own network has nothing on Slurm's ports
	[ -z "$(ss -Hltn '( sport = :6817 or sport = :6818 )')" ]
	run sl sinfo -h -N -o '%N %T'
	[ "$output" = "localhost idle" ]
}

@test "an array of 8 VMs: each task's exit code, guest output and --result JSON" {
	job=$(submit --array=0-7 "$REPO/examples/slurm/qpod-array.sbatch" "$WORK/app.qpod" \
		sh -c 'echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT"
			[ "$SLURM_ARRAY_TASK_ID" = 5 ] && kill -TERM $$
			exit $((SLURM_ARRAY_TASK_ID * 3))')
	[[ "$job" =~ ^[0-9]+$ ]]
	echo "$job" > "$BATS_FILE_TMPDIR/array.job"
	wait_job "$job"
	for i in 0 1 2 3 4 5 6 7; do
		want=$((i * 3))
		if [ "$i" = 5 ]; then want=143; fi
		echo "task $i: want $want, Slurm says $(exit_code "${job}_$i")"
		[ "$(exit_code "${job}_$i")" = "$want:0" ]
		[ "$(cat "qpod-${job}_$i.out")" = "task $i of 8" ]
		[ "$(jq .status "qpod-${job}_$i.json")" = "$want" ]
		# the first of the bundle's runs boots cold and saves its template
		[[ "$(jq -r .boot "qpod-${job}_$i.json")" =~ ^(cold|restore)$ ]]
	done
	[ "$(jq .signal "qpod-${job}_5.json")" = 15 ]
	[ "$(jq .signal "qpod-${job}_4.json")" = null ]
	[ "$(jq '.qemuMaxRssKb > 0' "qpod-${job}_0.json")" = true ]
}

@test "summary.sh, as a dependent job, gathers the 8 results into one JSON and a table" {
	job=$(cat "$BATS_FILE_TMPDIR/array.job")
	sum=$(submit --dependency="afterany:$job" --output=summary.out \
		--wrap "$REPO/examples/slurm/summary.sh $job")
	wait_job "$sum"
	# it exits 1: seven tasks did not exit 0
	[ "$(exit_code "$sum")" = "1:0" ]
	s=qpod-$job.summary.json
	[ "$(jq .tasks "$s")" = 8 ]
	[ "$(jq .succeeded "$s")" = 1 ]
	[ "$(jq .failed "$s")" = 7 ]
	[ "$(jq -c '[.results[].status]' "$s")" = "[0,3,6,9,12,143,18,21]" ]
	[ "$(jq '.results[5].signal' "$s")" = 15 ]
	[ "$(jq '[.results[] | select(.vmMs > 0 and .qemuMaxRssMb > 0)] | length' "$s")" = 8 ]
	run grep -c -E '^[0-9]+	' summary.out
	[ "$output" = 8 ]
	grep -qx "8 tasks: 1 succeeded, 7 failed" summary.out
}

@test "a task qpod cannot run exits 125 with its reason, and the summary names it" {
	job=$(submit --array=0-1 "$REPO/examples/slurm/qpod-array.sbatch" "$WORK/missing.qpod" true)
	wait_job "$job"
	[ "$(exit_code "${job}_0")" = "125:0" ]
	[ "$(exit_code "${job}_1")" = "125:0" ]
	grep -q "missing.qpod" "qpod-${job}_1.err"
	run "$REPO/examples/slurm/summary.sh" "$job"
	echo "$output"
	[ "$status" -eq 1 ]
	s=qpod-$job.summary.json
	[ "$(jq .failed "$s")" = 2 ]
	[ "$(jq '.results[1].error | length > 0' "$s")" = true ]
}

@test "summary.sh: bad usage exits 2; a job with no results exits 1" {
	run "$REPO/examples/slurm/summary.sh"
	[ "$status" -eq 2 ]
	run "$REPO/examples/slurm/summary.sh" '../x'
	[ "$status" -eq 2 ]
	run "$REPO/examples/slurm/summary.sh" 999999 "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no results of job 999999"* ]]
}

@test "the watchdog stops a cluster whose test process died; stop leaves no process" {
	other=$(mktemp -d /tmp/qpod-slurm.XXXXXX)
	sleep 600 &
	owner=$!
	"$REPO/test/slurm/cluster.sh" start "$other" "$owner"
	[ -n "$("$REPO/test/slurm/cluster.sh" pids "$other")" ]
	kill "$owner"
	end=$((SECONDS + 30))
	while [ -n "$("$REPO/test/slurm/cluster.sh" pids "$other")" ] && [ $SECONDS -lt $end ]; do
		sleep 0.5
	done
	left=$("$REPO/test/slurm/cluster.sh" pids "$other")
	[ -z "$left" ] || "$REPO/test/slurm/cluster.sh" stop "$other"
	rm -rf "$other"
	[ -z "$left" ]
	# and this file's own cluster, stopped here, leaves nothing behind
	"$REPO/test/slurm/cluster.sh" stop "$CLUSTER"
	[ -z "$("$REPO/test/slurm/cluster.sh" pids "$CLUSTER")" ]
	[ ! -e "$CLUSTER/holder.pid" ]
}
