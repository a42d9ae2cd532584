#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# manifest.sh DIR [OBJ [EXTERNAL...]]: print manifest.json for the images
# in DIR (out/images), built in OBJ (out/obj) with the EXTERNAL trees.
#
#   {
#     "kernel": "6.1.192",              from the header of DIR/kernel.config
#     "cmdline": "console=ttyS0 ...",   DIR/cmdline, the default -append
#     "kernel_keys": {"vmlinux": "...", "vmlinux-up": "..."},  the cache keys
#                                       of both kernels (OBJ/kernel/key, key-up:
#                                       what they were built from, hashed)
#     "externals": [...],               the external trees: name, license,
#                                       sha256 of the tree, its kernel files,
#                                       initrd entries and the files its
#                                       post-build hook added (external.sh)
#     "files": [                        every regular file in DIR, sorted by
#       {"name": "cmdline", "size": 72, "sha256": "..."},   name (C locale),
#       ...                             but manifest.json and *.tmp (files
#     ]                                 being written)
#   }
#
# Deterministic: no timestamps, fixed key order, two-space indent. Written
# with printf (jq is only a test dependency); strings are JSON-escaped.
set -eu
export LC_ALL=C

dir=${1:?usage: manifest.sh DIR [OBJ [EXTERNAL...]]}
obj=${2:-}
[ $# -lt 2 ] || shift 2
[ -d "$dir" ] || { echo "manifest: $dir is not a directory" >&2; exit 1; }

# json STRING: STRING as a JSON string literal. Backslash and quote are
# escaped, tab becomes \t, other control characters are dropped.
json() {
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' |
		tr -d '\000-\010\012-\037' | { printf '"'; cat; printf '"'; }
}

kernel=
[ -f "$dir/kernel.config" ] &&
	kernel=$(sed -n 's/^# Linux\/[^ ]* \([^ ]*\) Kernel Configuration$/\1/p' "$dir/kernel.config" | head -n 1)
cmdline=
[ -f "$dir/cmdline" ] && cmdline=$(cat "$dir/cmdline")

key() { [ -n "$obj" ] && [ -f "$obj/kernel/$1" ] && json "$(cat "$obj/kernel/$1")" || printf null; }

printf '{\n  "kernel": %s,\n  "cmdline": %s,\n' "$(json "$kernel")" "$(json "$cmdline")"
printf '  "kernel_keys": {"vmlinux": %s, "vmlinux-up": %s},\n' "$(key key)" "$(key key-up)"
if [ -n "$obj" ]; then
	printf '  "externals": %s,\n' "$("$(dirname "$0")/external.sh" json "$dir" "$obj/external" "$@")"
fi
printf '  "files": ['

find "$dir" -maxdepth 1 -type f ! -name manifest.json ! -name '*.tmp' | sort |
{
	sep=
	while IFS= read -r path; do
		size=$(wc -c < "$path")
		sum=$(sha256sum < "$path" | cut -d' ' -f1)
		printf '%s\n    {"name": %s, "size": %d, "sha256": "%s"}' \
			"$sep" "$(json "${path##*/}")" "$size" "$sum"
		sep=,
	done
}
printf '\n  ]\n}\n'
