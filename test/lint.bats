#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# lint.bats: test/lint-bats.py, which finds assertions that cannot fail (an
# && list or a `! cmd` that is not a body's last statement), on its own
# fixtures (test/lint/bad.bats, case.bats, array.bats and heredoc.bats must
# be flagged exactly on their "# flag" lines, good.bats not at all,
# unparsed.bats as a file it cannot follow) and then on every suite and helper;
# test/mutate.sh -n: every mutation of make mutate still applies; and the
# licences: reuse lint, and every source file's SPDX line.
# test/run.sh runs this suite before all others.
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.." || return 1
}

# flagged_exactly FIXTURE: the lint fails on it, on exactly its "# flag" lines
flagged_exactly() {
	run -1 python3 test/lint-bats.py "$1"
	echo "$output"
	local got want
	got=$(cut -d: -f2 <<<"$output" | tr '\n' ' ')
	want=$(grep -n '# flag$' "$1" | cut -d: -f1 | tr '\n' ' ')
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

@test "lint: the bad fixture is flagged on exactly its marked lines" {
	flagged_exactly test/lint/bad.bats
	[[ "${lines[0]}" == "test/lint/bad.bats:"*": an && list as a statement"* ]]
}

@test "lint: an && list in a case arm is flagged; the pattern's ) ends nothing (test/lint/case.bats)" {
	flagged_exactly test/lint/case.bats
}

@test "lint: after NAME=( ... ) the test is still read (test/lint/array.bats)" {
	flagged_exactly test/lint/array.bats
}

@test "lint: a heredoc's body is text, and the lines after it are read (test/lint/heredoc.bats)" {
	flagged_exactly test/lint/heredoc.bats
}

@test "lint: a file it cannot follow fails, naming the line, instead of passing" {
	run -1 python3 test/lint-bats.py test/lint/unparsed.bats
	echo "$output"
	[[ "${lines[0]}" == 'test/lint/unparsed.bats:9: cannot parse: `fi` closes `{`'* ]]
}

@test "lint: the good fixture passes" {
	run -0 python3 test/lint-bats.py test/lint/good.bats
	[ -z "$output" ]
}

@test "lint: --tap prints one test per file and a # line per finding" {
	run -1 python3 test/lint-bats.py --tap test/lint/good.bats test/lint/bad.bats
	[ "${lines[0]}" = "1..2" ]
	[ "${lines[1]}" = "ok 1 - lint test/lint/good.bats" ]
	[ "${lines[2]}" = "not ok 2 - lint test/lint/bad.bats" ]
	[[ "${lines[3]}" == "# test/lint/bad.bats:6: "* ]]
}

@test "lint: every suite and helper passes" {
	run python3 test/lint-bats.py test/*.bats test/*.bash
	echo "$output"
	[ "$status" -eq 0 ]
}

# make mutate is slow and rarely run; its dry run is seconds, so it runs here
# on every make test: a mutation whose function or text the code no longer
# has goes red now, named, instead of when someone next runs make mutate.
@test "mutate: every mutation still applies to today's code (test/mutate.sh -n)" {
	MUTATE_DIR=$BATS_TEST_TMPDIR/mutate run test/mutate.sh -n
	echo "$output"
	[ "$status" -eq 0 ]
	local want
	want=$(grep -cE '^	"[a-z_]+\|' test/mutate.sh)
	[ "$want" -gt 0 ]
	[ "$(grep -c '^== ' <<<"$output")" -eq "$want" ]
	[ "$(grep -c '^+.*/\* mutant: ' <<<"$output")" -eq "$want" ]
}

# REUSE: every tracked file has a licence and a copyright (its SPDX line or
# .reuse/dep5) and every licence used is in LICENSES/; every source file
# carries its SPDX line (toolchain/spdx.sh adds the missing ones).
@test "reuse lint passes, and every source file has its SPDX line" {
	run reuse lint
	[ "$status" -eq 0 ] || { echo "$output" | tail -n 30; false; }
	run toolchain/spdx.sh --check
	[ "$status" -eq 0 ] || { echo "$output" | tail -n 30; false; }
}
