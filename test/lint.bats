#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# lint.bats: test/lint-bats.py, which finds assertions that cannot fail (an
# && list or a `! cmd` that is not a body's last statement), on its own
# fixtures (test/lint/bad.bats, case.bats, array.bats and heredoc.bats must
# be flagged exactly on their "# flag" lines, good.bats not at all,
# unparsed.bats as a file it cannot follow) and then on every suite and helper;
# test/mutate.sh -n: every mutation of make mutate still applies; the
# licences: reuse lint, and every source file's SPDX line; and the tree's
# shape (test/layers.py): no circle of calls, no private header crossing.
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

# test/layers.py: the shape of the tree, from the objects make built (nm) and
# the #include lines. First on fixtures it must flag, then on the tree.
compile_calls() { # each fixture of test/lint/calls as an object: SRC=OBJ words
	local f pairs=()
	for f in "$@"; do
		mkdir -p "$BATS_TEST_TMPDIR/calls/$(dirname "$f")"
		cc -c -o "$BATS_TEST_TMPDIR/calls/${f%.c}.o" "test/lint/calls/$f" || return 1
		pairs+=("$f=$BATS_TEST_TMPDIR/calls/${f%.c}.o")
	done
	echo "${pairs[@]}"
}

@test "layers: files of a folder that call each other, and folders that do, are flagged (test/lint/calls)" {
	local pairs
	pairs=$(compile_calls a/x.c a/y.c p/one.c q/two.c p/three.c)
	# shellcheck disable=SC2086
	run -1 python3 test/layers.py $pairs
	echo "$output"
	[ "${lines[0]}" = "file circle: a/x.c a/y.c" ]
	[ "${lines[1]}" = "folder circle: p q" ]
	[ "${#lines[@]}" -eq 2 ]
	# the same files without the calls back: nothing
	pairs=$(compile_calls a/x.c p/one.c p/three.c)
	# shellcheck disable=SC2086
	run -0 python3 test/layers.py $pairs
	[ -z "$output" ]
}

@test "layers: a folder's private header included from another folder is flagged; its narrow ones are not" {
	local t=$BATS_TEST_TMPDIR/tree
	mkdir -p "$t/runner/detached" "$t/cli"
	printf '/* private */\n' > "$t/runner/detached/monitor.h"
	printf '/* narrow */\n' > "$t/runner/detached/detached.h"
	printf '/* narrow */\n' > "$t/runner/runner.h"
	printf '#include "detached/detached.h"\n#include "runner.h"\n' > "$t/cli/ok.c"
	printf '#include "detached/monitor.h"\n' > "$t/cli/bad.c"
	printf '#include "monitor.h"\n' > "$t/runner/detached/own.c"
	git -C "$t" init -q
	git -C "$t" add .
	run -1 python3 test/layers.py --includes "$t"
	echo "$output"
	[ "$output" = "private header: cli/bad.c includes runner/detached/monitor.h" ]
}

@test "layers: no circle of calls in the tree, none between folders, no private header crosses a folder" {
	run python3 test/layers.py "${QPOD_OUT:-out}/obj"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
