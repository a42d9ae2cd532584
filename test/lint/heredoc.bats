#!/usr/bin/env bats
# heredoc.bats: a lint-bats.py fixture (never run by bats). A heredoc's body
# is text, not commands: no && in it is reported. After the body the lint
# reads commands again, on the right line numbers. Every line marked
# "# flag" must be reported, and no other.

@test "&& in heredoc bodies: <<EOF, <<-'EOF', << \"END\", two on a line" {
	cat <<EOF > script.sh
[ -f a ] && [ -f b ]
x) [ c ] && [ d ] ;;
EOF
	cat <<-'EOF' | sh
	test -n "$x" && echo ")"
	EOF
	cat << "END" <<EOF2
} && {
END
fi && done
EOF2
	[ -f a ] && [ -f b ] # flag
	true
}

@test "a here-string is no heredoc" {
	grep -q x <<<"$output" && [ -n "$output" ] # flag
	true
}

helper() {
	sh <<EOF
	[ -f a ] && [ -f b ]
EOF
	[ "$1" = a ] && [ "$2" = b ]
}
