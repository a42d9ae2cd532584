#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tree.sh DIR: a canonical listing of a rootfs, one line per path, sorted:
#   path|type|mode|uid:gid|link target|nlink|mtime (not for dirs)|sha256 prefix
# Two unpackers agree on an image when their listings are equal.
set -eu
cd "$1"
find . -mindepth 1 \( -type d -printf '%P|%y|%m|%U:%G||\n' \) -o \
	\( -type l -printf '%P|%y|%m|%U:%G|%l|%n|%T@|\n' \) -o \
	\( -type f -printf '%P|%y|%m|%U:%G||%n|%T@|' -exec sh -c 'sha256sum < "$1" | cut -c1-16' _ {} \; \) -o \
	\( -printf '%P|%y|%m|%U:%G||%n|%T@|\n' \) | sed 's/\.0000000000|/|/' | LC_ALL=C sort
