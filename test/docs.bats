#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# docs.bats: the README and docs/ say what the tree has. docs/usage.md's
# flag table and `qpod run --help` name the same flags; the README's layout
# table has a row for each top-level folder and no row for a folder that is
# not there; every relative link of the README, docs/ and the folders'
# READMEs reaches its file and heading (test/doclinks.py). No VM boots.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$REPO"
}

# table_rows FILE HEADING: the table rows of FILE's section "## HEADING"
table_rows() {
	awk -v h="## $2" '$0 == h { on = 1; next } on && /^## / { exit } on && /^\| `/' "$1"
}

@test "docs/usage.md's flag table has every flag of qpod run --help, and no other" {
	need_images
	local help table
	run -0 "$QPOD" run --help
	# --help's flags: on each line that starts with one, what comes before the
	# description (the first gap of two spaces)
	help=$(grep -E '^ +-' <<<"$output" | sed -E 's/^ +//; s/  .*//' |
		grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u)
	# the table's: those in each row's first cell
	table=$(table_rows docs/usage.md Flags | cut -d'|' -f2 |
		grep -oE -- '(^|[ `])--?[a-zA-Z][a-z-]*' | tr -d ' `' | sort -u)
	[ "$(wc -l <<<"$help")" -gt 50 ]
	diff <(echo "$help") <(echo "$table")
}

@test "the README's layout table: a row for each top-level folder, a folder for each row" {
	local tree rows
	# tracked folders; not the dot-folders nor REUSE's LICENSES/ (licence texts, no code)
	tree=$(git ls-files | grep / | cut -d/ -f1 | sort -u | grep -v -e '^\.' -e '^LICENSES$')
	rows=$(table_rows README.md Layout | sed -n 's/^| `\([^`/]*\)\/` |.*/\1/p' | sort)
	[ "$(wc -l <<<"$rows")" -ge 15 ]
	[ "$(table_rows README.md Layout | wc -l)" -eq "$(wc -l <<<"$rows")" ]
	diff <(echo "$tree") <(echo "$rows")
}

@test "every relative link in the README, docs/ and the folders' READMEs reaches its file and heading" {
	run -0 python3 test/doclinks.py README.md docs/*.md $(git ls-files '*/README.md')
	[ -z "$output" ]
}

@test "doclinks.py: a missing file and a missing heading are each one line, and fail" {
	local d=$BATS_TEST_TMPDIR
	printf '# Title\n\n## A heading, here\n\n[ok](#a-heading-here) [ok](b.md#b) [x](#nothing) [x](missing.md)\n```\n[not a link](gone.md)\n```\n' > "$d/a.md"
	printf '# B\n' > "$d/b.md"
	run -1 python3 test/doclinks.py "$d/a.md"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "$d/a.md: #nothing: no such heading" ]
	[ "${lines[1]}" = "$d/a.md: missing.md: no such file" ]
}
