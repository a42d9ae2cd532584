#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# run.sh OUT: run every suite and sum them up.
#
# Suites print TAP ("ok N ...", "not ok N ...", "ok N ... # skip REASON").
# Each suite's output goes to the terminal as it runs and to
# OUT/test/logs/<suite>.tap; the last line is the one CI reads:
# "N passed, N failed, N skipped" (a skip is neither passed nor failed).
#   lint:  test/lint.bats first (test/lint-bats.py on its fixtures and on
#          every suite), then
#   unit:  OUT/obj/test/unit/* (C programs printing TAP)
#   fuzz:  OUT/obj/test/fuzz/* (libFuzzer targets, FUZZ_SECONDS each, one ok line per target)
#   guest: test/guest/*.py OUT/images (a scripted host against a real VM, TAP)
#   e2e:   test/*.bats (bats --tap), or only those named in SUITES="a b";
#          and runner-cold: test/runner.bats again with QPOD_NO_SNAPSHOT=1
#          (every VM boots cold: the path the fast one falls back to)
#   sanitizers: with QPOD_SAN_LOGS set (make test SANITIZE=1), ok when no report is there
#
# Skips: a test may skip only for a reason that is about the machine, not
# the product, and then says so with the words "cannot run here:" in its
# reason (skip "cannot run here: no tmpfs mounts"). Under CI (CI=1 or
# QPOD_CI=1, which .ci/run sets) every other skip counts as failed: a
# missing image or tool in CI is a broken build, not a pass.
set -u
out=$1
logs=$out/test/logs
mkdir -p "$logs"
pass=0 fail=0 skipped=0
ci=${QPOD_CI:-${CI:-}}
case $ci in 0 | false) ci= ;; esac

count() { # count LOG: add a suite's TAP results to the totals
	local p f s here
	p=$(grep '^ok ' "$1" | grep -cv '# skip')
	f=$(grep -c '^not ok ' "$1")
	s=$(grep -c '^ok .*# skip' "$1")
	here=$(grep '^ok .*# skip' "$1" | grep -c 'cannot run here:')
	if [ -n "$ci" ] && [ "$s" -gt "$here" ]; then
		grep '^ok .*# skip' "$1" | grep -v 'cannot run here:' | sed 's/^/# CI: this skip counts as failed: /'
		f=$((f + s - here)) s=$here
	fi
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
}

suite() { # suite NAME CMD...: run one suite, tee its TAP, count it
	local name=$1 log=$logs/$1.tap rc plan ran
	shift
	echo "# suite $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# A suite that stops early or dies counts as failed, never as silent.
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -1)
	ran=$(grep -c -E '^(not )?ok ' "$log")
	if [ -n "$plan" ] && [ "$ran" -lt "$plan" ]; then
		echo "not ok - suite $name ran $ran of $plan tests" | tee -a "$log"
	elif [ "$rc" != 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - suite $name exited with status $rc" | tee -a "$log"
	fi
	count "$log"
}

want() { [ -z "${SUITES:-}" ] || [[ " $SUITES " == *" $1 "* ]]; }

want lint && suite lint bats --tap test/lint.bats
for t in "$out"/obj/test/unit/*; do
	[ -x "$t" ] && want "unit-${t##*/}" && suite "unit-${t##*/}" "$t"
done
for f in "$out"/obj/test/fuzz/*; do
	[ -x "$f" ] || continue
	name=${f##*/}
	want "fuzz-$name" || continue
	corpus=test/fuzz/corpus/$name
	[ -d "$corpus" ] || corpus=
	suite "fuzz-$name" test/fuzz/run-one.sh "$f" "${FUZZ_SECONDS:-10}" $corpus
done
for g in test/guest/*.py; do
	name=guest-$(basename "$g" .py)
	want "$name" && suite "$name" python3 "$g" "$out/images"
done
for b in test/*.bats; do
	name=${b##*/}; name=${name%.bats}
	[ "$name" != lint ] && want "$name" && suite "$name" bats --tap "$b"
done
want runner-cold && suite runner-cold env QPOD_NO_SNAPSHOT=1 bats --tap test/runner.bats
# SANITIZE=1 (test.mk): a sanitizer report fails the run, even from a test that passed.
if [ -n "${QPOD_SAN_LOGS:-}" ]; then
	suite sanitizers test/san-reports.sh "$QPOD_SAN_LOGS"
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
