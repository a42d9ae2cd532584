#!/usr/bin/env bats
# unparsed.bats: a lint-bats.py fixture (never run by bats). A closer that
# does not match what is open (here a stray fi) means the lint has lost its
# place: everything after it could be read wrong and pass. It says so
# ("cannot parse") and fails, instead of passing the file.

@test "a stray fi" {
	true
	fi
	[ -f a ] && [ -f b ]
	true
}
