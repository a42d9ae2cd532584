#!/bin/bash
# run.sh OUT: run every suite and sum them up.
#
# Suites print TAP ("ok N ...", "not ok N ..."). Each suite's output goes to
# the terminal as it runs and to OUT/test/logs/<suite>.tap; the last line is
# the one CI reads: "N passed, N failed".
#   unit:  OUT/obj/test/unit/* (C programs printing TAP)
#   fuzz:  OUT/obj/test/fuzz/* (libFuzzer targets, FUZZ_SECONDS each, one ok line per target)
#   guest: test/guest/*.py OUT/images (a scripted host against a real VM, TAP)
#   e2e:   test/*.bats (bats --tap), or only those named in SUITES="a b"
#   sanitizers: with QPOD_SAN_LOGS set (make test SANITIZE=1), ok when no report is there
set -u
out=$1
logs=$out/test/logs
mkdir -p "$logs"
pass=0 fail=0

count() { # count LOG: add a suite's TAP results to the totals
	local p f
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	pass=$((pass + p)) fail=$((fail + f))
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
	want "$name" && suite "$name" bats --tap "$b"
done
# SANITIZE=1 (test.mk): a sanitizer report fails the run, even from a test that passed.
[ -n "${QPOD_SAN_LOGS:-}" ] && suite sanitizers test/san-reports.sh "$QPOD_SAN_LOGS"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
