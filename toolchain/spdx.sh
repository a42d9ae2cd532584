#!/bin/sh
# spdx.sh [--check]: the SPDX licence line (the tag SPDX-License-Identifier
# and Apache-2.0) at the top of every tracked source file that lacks one, in
# the file's own comment style:
#
#   *.c, *.h                      a /* */ comment, first
#   a file that starts with #!    a # comment, after that line
#   shell, Python, make, bats, YAML, HCL, unit files, kernel fragments,
#   initrd specs, the package and provenance lists, vm.conf, Containerfile:
#                                 a # comment, first
#
# A file that has the tag in its first 5 lines is left as it is
# (kernel/kconfig-query.c is GPL-2.0-only). Idempotent: run it again
# after a merge. Not touched: files that cannot carry a comment or whose
# bytes are data (JSON, patches, fixtures, test/lint's fixtures, fuzz
# corpora, configs/cmdline, Markdown): .reuse/dep5 gives their licence.
# --check changes nothing and fails naming each file that lacks the line
# (make lint).
set -eu
export LC_ALL=C
cd "$(dirname "$0")/.."
# The tag in two pieces, so that REUSE does not read this file's code as its licence.
tag="SPDX-License""-Identifier" id=Apache-2.0
check=
[ "${1:-}" != --check ] || check=1

style() { # style FILE: c, shebang, hash, or nothing
	case $1 in
	test/lint/* | test/fuzz/corpus/*) return ;;
	*.c | *.h) echo c; return ;;
	esac
	if [ "$(head -c 2 "$1")" = '#!' ]; then echo shebang; return; fi
	case $1 in
	*.sh | *.py | *.mk | Makefile | *.bats | *.bash | *.yml | *.yaml | *.hcl | *.service | *.sbatch | \
		*.config | *.spec | */Containerfile | configs/vm.conf | configs/arch/*/vm.conf | toolchain/packages | toolchain/packages-test | \
		toolchain/provenance | test/bench/packages | */external.desc) echo hash ;;
	esac
}

git ls-files | while IFS= read -r f; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
	s=$(style "$f")
	[ -n "$s" ] || continue
	head -n 5 "$f" | grep -q "$tag" && continue
	if [ -n "$check" ]; then
		echo "spdx: $f has no $tag line (toolchain/spdx.sh adds it)" >&2
		echo x
		continue
	fi
	tmp=$f.spdx.tmp
	case $s in
	c) { echo "/* $tag: $id */"; cat "$f"; } > "$tmp" ;;
	shebang) { head -n 1 "$f"; echo "# $tag: $id"; tail -n +2 "$f"; } > "$tmp" ;;
	hash) { echo "# $tag: $id"; cat "$f"; } > "$tmp" ;;
	esac
	chmod --reference="$f" "$tmp"
	mv "$tmp" "$f"
done | { n=$(wc -l); [ "$n" = 0 ] || { echo "spdx: $n files without the line" >&2; exit 1; }; }
