#!/usr/bin/env bats
# bad.bats: a lint-bats.py fixture (never run by bats). Every line marked
# "# flag" must be reported, and no other.

helper() {
	[ "$1" = a ] && [ "$2" = b ] # flag
	! grep -q x "$3" # flag
	echo done
}

@test "a chain in the middle" {
	[ "$status" -eq 125 ] && [[ "$stderr" == *x* ]] # flag
	true
}

@test "a chain in a loop body, even last" {
	for d in a b; do [ -d "$d" ] && [ -z "$(ls -A "$d")" ]; done # flag
}

@test "a negation in the middle, a chain over two lines" {
	! kill -0 "$pid" # flag
	[ -f x ] && # flag
		[ -f y ]
	echo end
}

@test "a chain inside an if body that is not last" {
	if true; then
		[ a = a ] && [ b = b ] # flag
	fi
	echo end
}

@test "a subshell in a pipeline does not count" {
	(cd /tmp && ls) | wc -l # flag
}

@test "a chain that sets a variable" {
	[ -n "$x" ] && y=1 # flag
	[ "$y" = 1 ]
}
