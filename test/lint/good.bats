#!/usr/bin/env bats
# good.bats: a lint-bats.py fixture (never run by bats): nothing here may
# be reported.

helper() {
	[ -x "$root/bin/busybox" ] && return 0
	echo "a && b, 'c && d'" '[ x ] && [ y ]' # && in a comment
	x=$(true && echo y)
	[[ -n "$x" && "$x" == y ]]
	(( 1 && 2 ))
	if [ a = a ] && [ b = b ]; then echo yes; fi
	while [ -n "$x" ] && false; do :; done
	until [ -z "$x" ] || ! true; do :; done
	[ -z "$x" ] && [ -z "$y" ] || return 1
	[ "$a" ] && [ "$b" ] || { echo "why"; false; }
	wait "$pid" && status=0 || status=$?
	! grep -q x file || return 1
	[ "$1" = a ] && [ "$2" = b ]
}

@test "control flow in a loop, the check after it, a last chain" {
	for i in $(seq 10); do [ -e f ] && break; sleep 0.1; done
	for i in 1 2; do [ "$i" = 1 ] && continue; echo "$i"; done
	[ -e f ]
	(cd /tmp && ls) > /dev/null
	run ! kill -0 "$pid"
	! kill -0 "$pid"
}

@test "a last chain inside the last if, or the last group" {
	echo start >&3
	if true; then
		[ a = a ] && [ b = b ]
	else
		[ c = c ] && [ d = d ]
	fi
}

@test "redirections: >&2 and &> and 2>&1 are words" {
	echo x >&2
	echo y &>/dev/null
	[ -f x ] 2>&1 && [ -f y ]
}
