#!/usr/bin/env bats
# case.bats: a lint-bats.py fixture (never run by bats). A case arm is a
# branch, as an if's: an && list in it is flagged unless the case is the
# body's last statement and the list its arm's last. The pattern's ")" is
# no subshell's end. Every line marked "# flag" must be reported, and no other.

@test "an && list in a case arm, mid-body: bats passes it when the first [ ] fails" {
	case $x in
	a) [ a = b ] && [ c = d ] ;; # flag
	b | c) echo b ;;
	esac
	true
}

@test "every kind of arm: (pattern), several patterns, ;& and ;;&, the last without ;;" {
	case "$x" in
	(a) [ -f a ] && [ -f b ] ;; # flag
	b|c)
		[ -f c ] && [ -f d ] # flag
		echo c
		;;
	d) [ -f e ] && [ -f f ] ;& # flag
	e) [ -f g ] && [ -f h ] ;;& # flag
	*) [ -f i ] && [ -f j ] # flag
	esac
	[ -f k ] && [ -f l ] # flag
	echo end
}

@test "the last statement is a case: each arm's last list counts, an earlier one does not" {
	case $x in
	a)
		[ -f a ] && [ -f b ] # flag
		[ -f c ] && [ -f d ]
		;;
	*) [ -f e ] && [ -f f ] ;;
	esac
}

helper() {
	case $1 in --*) shift ;; esac
	[ "$1" = a ] && [ "$2" = b ] # flag
	echo done
}

@test "the last statement is a case: an arm that goes on with ;& or ;;& is not last" {
	case $x in
	a) [ -f a ] && [ -f b ] ;& # flag
	b) [ -f c ] && [ -f d ] ;;& # flag
	*) [ -f e ] && [ -f f ] ;;
	esac
}
