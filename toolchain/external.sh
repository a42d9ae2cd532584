#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# external.sh: external trees (make EXTERNAL="DIR..."), Buildroot's
# BR2_EXTERNAL for qpod: what a user adds to `make image` without editing a
# tracked file. A tree is a folder:
#
#   external.desc          "name: NAME" (a lowercase word, unique among the
#                          trees), "license: SPDX-EXPRESSION" (of what the tree
#                          adds), "desc: TEXT" (optional)
#   kernel/*.config        kernel config fragments, after configs/kernel's;
#                          one may override an option the defaults set
#   kernel/*.patch         kernel patches, after kernel/patches/*.patch
#   initrd/initrd.spec     mkcpio lines added to initrd/initrd.spec; a
#                          relative source is a file of initrd/
#   post-build.sh          run as `post-build.sh IMAGES` once the images are
#                          built, before buildinfo, SBOM and manifest: it may
#                          add files to IMAGES (they are the tree's in the
#                          manifest and the SBOM) but not change one make built
#                          (such a file is removed, so that make builds it anew)
#   post-image.sh          run as `post-image.sh IMAGES OUTDIR` last: it reads
#                          IMAGES and writes into OUTDIR, $(O)/post-image/NAME
#                          (emptied first); IMAGES must stay as it is
#
# Hooks run with the tree as their working folder and EXTERNAL_DIR,
# EXTERNAL_NAME, SOURCE_DATE_EPOCH in the environment; they run again
# whenever an image or a file of any tree changes, so they write their files
# anew (the files a post-build hook added last time are removed first).
#
#   external.sh check DIR...          each DIR is a tree; prints nothing, or why not
#   external.sh name DIR              its name
#   external.sh digest DIR            sha256 of its files: paths, x bits, contents
#   external.sh json IMAGES STATE DIR...   manifest.json's "externals" array
#   external.sh post-build IMAGES STATE DIR...
#   external.sh post-image IMAGES OUTROOT DIR...
#
# STATE ($(OBJ)/external) keeps added.NAME, the files each post-build hook
# added, so that a run without the tree removes them again.
set -eu
export LC_ALL=C

die() { echo "external: $*" >&2; exit 1; }

field() { # field DIR KEY: the value of "KEY: value" in DIR/external.desc
	sed -n "s/^$2:[[:space:]]*//p" "$1/external.desc" | head -n 1
}

json() { # json STRING: a JSON string literal
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037' |
		{ printf '"'; cat; printf '"'; }
}

jlist() { # jlist < LINES: the lines as JSON strings, comma-separated
	c=
	while IFS= read -r l; do printf '%s%s' "$c" "$(json "$l")"; c=', '; done
}

files() { # files DIR: its files, relative, sorted, .git left out
	(cd "$1" && find . -type f ! -path './.git/*' | sed 's|^\./||' | sort)
}

digest() {
	files "$1" | while IFS= read -r f; do
		x=-; [ -x "$1/$f" ] && x=x
		printf '%s %s %s\n' "$x" "$(sha256sum < "$1/$f" | cut -c1-64)" "$f"
	done | sha256sum | cut -c1-64
}

check() {
	names=
	for d; do
		[ -d "$d" ] || die "$d is not a folder"
		case $d in *[[:space:]]*) die "'$d': a tree's path has no blanks (make cannot name it)" ;; esac
		[ -f "$d/external.desc" ] || die "$d has no external.desc (name: and license: lines)"
		n=$(field "$d" name) l=$(field "$d" license)
		case $n in '' | *[!a-z0-9_-]*) die "$d/external.desc: name must be a lowercase word, not '$n'" ;; esac
		[ -n "$l" ] || die "$d/external.desc: no license: line (an SPDX expression)"
		case " $names " in *" $n "*) die "two trees are named $n" ;; esac
		names="$names $n"
		for h in post-build.sh post-image.sh; do
			[ ! -e "$d/$h" ] || [ -x "$d/$h" ] || die "$d/$h is not executable"
		done
	done
}

# snapshot IMAGES: "sha256 name" of every file, sorted
snapshot() { (cd "$1" && find . -maxdepth 1 -type f | sed 's|^\./||' | sort | xargs -r sha256sum); }

post_build() {
	img=$1 state=$2; shift 2
	mkdir -p "$state"
	for a in "$state"/added.*; do
		[ -f "$a" ] || continue
		while IFS= read -r f; do rm -f "$img/$f"; done < "$a"
		rm -f "$a"
	done
	for d; do
		[ -x "$d/post-build.sh" ] || continue
		n=$(field "$d" name)
		snapshot "$img" > "$state/before"
		echo "  HOOK    $n/post-build.sh" >&2
		(cd "$d" && EXTERNAL_DIR=$d EXTERNAL_NAME=$n ./post-build.sh "$img") ||
			die "$d/post-build.sh failed"
		snapshot "$img" > "$state/after"
		# the files of before whose sha256 is not the same after (changed or removed)
		bad=$(awk 'NR == FNR { h[$2] = $1; next } !($2 in h) || h[$2] != $1 { print $2 }' \
			"$state/after" "$state/before")
		# shellcheck disable=SC2086 # image names have no blanks
		[ -z "$bad" ] || { (cd "$img" && rm -f $bad); die "$n/post-build.sh changed or removed $(echo "$bad" | tr '\n' ' ')(a hook adds files; an image changes through a fragment, a patch or the initrd spec)"; }
		awk 'NR == FNR { h[$2] = 1; next } !($2 in h) { print $2 }' "$state/before" "$state/after" > "$state/added.$n"
	done
	rm -f "$state/before" "$state/after"
}

post_image() {
	img=$1 root=$2; shift 2
	for d; do
		[ -x "$d/post-image.sh" ] || continue
		n=$(field "$d" name)
		rm -rf "${root:?}/$n"
		mkdir -p "$root/$n"
		before=$(snapshot "$img")
		echo "  HOOK    $n/post-image.sh" >&2
		(cd "$d" && EXTERNAL_DIR=$d EXTERNAL_NAME=$n ./post-image.sh "$img" "$root/$n") ||
			die "$d/post-image.sh failed"
		[ "$(snapshot "$img")" = "$before" ] ||
			die "$n/post-image.sh changed $img: it writes into its own folder, $root/$n"
	done
}

# the externals array: name, license, the tree's digest, what it adds
externals_json() {
	img=$1 state=$2; shift 2
	printf '['
	sep=
	for d; do
		n=$(field "$d" name)
		printf '%s\n    {"name": %s, "license": %s, "sha256": "%s",' "$sep" "$(json "$n")" \
			"$(json "$(field "$d" license)")" "$(digest "$d")"
		printf '\n     "kernel": [%s],' "$(files "$d" | grep -E '^kernel/[^/]+\.(config|patch)$' | jlist)"
		printf '\n     "initrd": [%s],' "$([ ! -f "$d/initrd/initrd.spec" ] ||
			awk '$1 ~ /^(dir|file|nod|slink)$/ { print $2 }' "$d/initrd/initrd.spec" | sort | jlist)"
		printf '\n     "added": [%s]}' "$([ ! -f "$state/added.$n" ] || sort "$state/added.$n" | jlist)"
		sep=,
	done
	[ -z "$sep" ] || printf '\n  '
	printf ']'
}

cmd=${1:-}
[ $# -ge 1 ] && shift
case $cmd in
check) check "$@" ;;
name) field "$1" name ;;
digest) digest "$1" ;;
json) [ $# -ge 2 ] || die "usage: external.sh json IMAGES STATE DIR..."; externals_json "$@" ;;
post-build) [ $# -ge 2 ] || die "usage: external.sh post-build IMAGES STATE DIR..."; post_build "$@" ;;
post-image) [ $# -ge 2 ] || die "usage: external.sh post-image IMAGES OUTROOT DIR..."; post_image "$@" ;;
*) die "usage: external.sh check|name|digest|json|post-build|post-image ..." ;;
esac
