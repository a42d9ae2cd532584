#!/usr/bin/env bats
# lint.bats: test/lint-bats.py, which finds assertions that cannot fail (an
# && list or a `! cmd` that is not a body's last statement), on its own
# fixtures (test/lint/bad.bats must be flagged exactly on its "# flag"
# lines, test/lint/good.bats not at all) and then on every suite and helper;
# and test/mutate.sh -n: every mutation of make mutate still applies.
# test/run.sh runs this suite before all others.
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.." || return 1
}

@test "lint: the bad fixture is flagged on exactly its marked lines" {
	run -1 python3 test/lint-bats.py test/lint/bad.bats
	echo "$output"
	local got want
	got=$(cut -d: -f2 <<<"$output" | tr '\n' ' ')
	want=$(grep -n '# flag$' test/lint/bad.bats | cut -d: -f1 | tr '\n' ' ')
	[ -n "$want" ]
	[ "$got" = "$want" ]
	[[ "${lines[0]}" == "test/lint/bad.bats:"*": an && list as a statement"* ]]
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
