#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-one.sh FUZZER SECONDS [SEED_DIR]: run a libFuzzer target for a while and
# print one TAP line. Crashes are kept in OUT/test/fuzz-crashes for replay
# (./FUZZER FILE replays one input).
set -u
f=$1 secs=$2 seeds=${3:-}
name=${f##*/}
out=${f%/obj/test/fuzz/*}
work=$out/test/fuzz-work/$name
crash=$out/test/fuzz-crashes
mkdir -p "$work" "$crash"
echo "1..1"
if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$crash/$name-" \
	"$work" $seeds > "$work.log" 2>&1; then
	echo "ok 1 - $name: $(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work.log") runs, no crash in ${secs}s"
else
	echo "not ok 1 - $name crashed; see $work.log and $crash"
	tail -20 "$work.log" | sed 's/^/# /'
fi
