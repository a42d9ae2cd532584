#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# summary.sh: gather the results of a qpod-array.sbatch job into one JSON
# file and a table.
#
#   summary.sh JOB [DIR]        DIR: where the tasks wrote (default .)
#   sbatch --dependency=afterany:JOB --output=/dev/null --wrap "summary.sh JOB"
#
# Reads DIR/qpod-JOB_TASK.json (each task's `qpod run --result`) and, for a
# task that started but wrote no result, its qpod-JOB_TASK.out. Writes
# DIR/qpod-JOB.summary.json:
#   {"job": "JOB", "tasks": N, "succeeded": N, "failed": N,
#    "results": [{"task": 0, "status": 0, "signal": null, "error": null,
#                 "boot": "cold", "vmMs": 812, "qemuMaxRssMb": 81}, ...]}
# and prints one line per task. Exits 0 when every task exited 0, 1 when
# one did not (or wrote no result), 2 on bad usage or a missing jq.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: summary.sh JOB [DIR]" >&2
	exit 2
fi
job=$1 dir=${2:-.}
command -v jq >/dev/null || { echo "summary.sh: jq is needed (apt-get install jq)" >&2; exit 2; }
[[ $job =~ ^[0-9A-Za-z_.-]+$ ]] || { echo "summary.sh: bad job id: $job" >&2; exit 2; }

# Every task that left a file, by index, in numeric order.
tasks=$(find "$dir" -maxdepth 1 -type f \( -name "qpod-${job}_*.json" -o -name "qpod-${job}_*.out" \) \
	-printf '%f\n' | sed -n "s/^qpod-${job}_\([0-9][0-9]*\)\.\(json\|out\)\$/\1/p" | sort -nu)
[ -n "$tasks" ] || { echo "summary.sh: no results of job $job in $dir" >&2; exit 1; }

out=$dir/qpod-$job.summary.json
for t in $tasks; do
	f=$dir/qpod-${job}_$t.json
	if [ -s "$f" ]; then
		jq -c --argjson t "$t" '{task: $t, status, signal, error, boot,
			vmMs: (if .timingsUs.vmGone then (.timingsUs.vmGone / 1000 | floor) else null end),
			qemuMaxRssMb: (if .qemuMaxRssKb then (.qemuMaxRssKb / 1024 | floor) else null end)}' "$f"
	else
		jq -nc --argjson t "$t" '{task: $t, status: null, signal: null, error: "no result written",
			boot: null, vmMs: null, qemuMaxRssMb: null}'
	fi
done | jq -s --arg job "$job" '{job: $job, tasks: length,
	succeeded: (map(select(.status == 0)) | length),
	failed: (map(select(.status != 0)) | length), results: .}' > "$out.tmp"
mv "$out.tmp" "$out"

jq -r '"TASK\tSTATUS\tSIGNAL\tVM_MS\tRSS_MB\tERROR",
	(.results[] | [.task, (.status // "-"), (.signal // "-"), (.vmMs // "-"),
		(.qemuMaxRssMb // "-"), (.error // "")] | @tsv),
	"\(.tasks) tasks: \(.succeeded) succeeded, \(.failed) failed"' "$out"
[ "$(jq .failed "$out")" = 0 ]
