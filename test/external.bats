#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# external.bats: `make image EXTERNAL=DIR` with examples/external (a kernel
# fragment, a kernel patch, an initrd file, both hooks): what each adds is
# in the images and in the guest, the hooks ran with the right folders, the
# kernels' cache keys changed, and the same O= without the tree gives back
# $QPOD_OUT/images byte for byte. Then the rules of trees: an override of a
# default, two trees that disagree, a hook that changes an image.
#
# The builds use a kernel cache of their own, $QPOD_TEST_BUILD_CACHE
# (test.mk: $(QPOD_BUILD_CACHE)-test), seeded from the shared one
# (helpers.bash's seed_cache: the finished kernels and the pristine source
# hard-linked, the config dir copied), so that the tree's kernels (a new
# config and a new patch set: two cold builds, the first time) never evict
# a kernel of the shared cache, and are built once per machine, as the
# default ones are. The tests run in order: the first builds what the
# others read.

load helpers

fail() { echo "$*" >&2; return 1; }

setup_file() {
	export EXT=$REPO/examples/external O=$BATS_FILE_TMPDIR/o
	export C=${QPOD_TEST_BUILD_CACHE:-${QPOD_BUILD_CACHE:-$HOME/.cache/qpod-build}-test}
	seed_cache "$C" kernels
}

mk() { # mk ARGS...: make in the repo with the private O= and cache
	run make -C "$REPO" O="$O" QPOD_BUILD_CACHE="$C" "$@"
	echo "$output" | tail -n 30
}

@test "make image EXTERNAL=examples/external: the option, the initrd entry, both hooks, new cache keys" {
	need_images manifest.json
	mk image EXTERNAL="$EXT"
	[ "$status" = 0 ] || fail "make image with the example tree failed"
	grep -qx CONFIG_PROC_CHILDREN=y "$O/images/kernel.config" || fail "kernel.config lacks the tree's option"
	grep -qx CONFIG_PROC_CHILDREN=y "$O/images/kernel-up.config" || fail "kernel-up.config lacks the tree's option"
	run bash -c "zcat '$O/images/initrd.img' | cpio -itvn --quiet"
	[ "$status" = 0 ] || fail "cpio cannot list the initrd: $output"
	grep -Eq '^-rw-r--r-- +1 0 +0 .* etc/qpod-example$' <<<"$output" || fail "no /etc/qpod-example 0644 0:0 in the initrd"
	local m=$O/images/manifest.json
	[ "$(jq -r '.externals[0].name' "$m")" = example ] || fail "manifest.json does not name the tree"
	[ "$(jq -r '.externals[0].kernel | join(" ")' "$m")" = "kernel/0001-proc-version-mark-the-example-tree.patch kernel/proc-children.config" ] ||
		fail "manifest.json does not list the tree's kernel files"
	[ "$(jq -r '.externals[0].initrd | join(" ")' "$m")" = "/etc /etc/qpod-example" ] || fail "manifest.json does not list the tree's initrd entries"
	[ "$(jq -r '.externals[0].added | join(" ")' "$m")" = SHA256SUMS ] || fail "manifest.json does not list what post-build added"
	[ "$(jq -r '.externals[0].sha256' "$m")" = "$("$REPO/toolchain/external.sh" digest "$EXT")" ] ||
		fail "manifest.json's tree digest is not the tree's"
	local k
	for k in vmlinux vmlinux-up; do
		[ "$(jq -r ".kernel_keys[\"$k\"]" "$m")" != "$(jq -r ".kernel_keys[\"$k\"]" "$IMAGES/manifest.json")" ] ||
			fail "$k's cache key is the one without the tree"
	done
	# post-build got the images folder: its file is there, listed, and checks out.
	jq -e '.files[] | select(.name == "SHA256SUMS")' "$m" >/dev/null || fail "SHA256SUMS is not in manifest.json"
	run sh -c "cd '$O/images' && sha256sum -c --quiet SHA256SUMS"
	[ "$status" = 0 ] || fail "post-build's SHA256SUMS does not match the images: $output"
	# post-image got the images (after manifest.json) and a folder of its own.
	tar -xOf "$O/post-image/example/boot.tar" manifest.json | cmp - "$m" || fail "post-image did not see the final manifest.json"
	tar -xOf "$O/post-image/example/boot.tar" initrd.img | cmp - "$O/images/initrd.img" || fail "post-image's initrd is not the image's"
}

@test "the guest boots the tree's kernel and initrd: its file, its option and its patch are there" {
	[ -f "$O/images/vmlinux-up" ] || fail "no images from the first test"
	run "$QPOD" run --no-snapshot --kernel "$O/images/vmlinux-up" --initrd "$O/images/initrd.img" "$IMAGES/busybox.tar" \
		sh -c 'cat /proc/1/root/etc/qpod-example; test -f /proc/1/task/1/children && echo has-children; cat /proc/version'
	echo "$output"
	[ "$status" = 0 ] || fail "the run failed"
	[[ $output == *"added to the initrd by qpod's example external tree"* ]] || fail "the initrd file is not in the guest"
	[[ $output == *has-children* ]] || fail "/proc/PID/task/TID/children is missing: CONFIG_PROC_CHILDREN is not in the kernel"
	[[ $output == *"(qpod example tree)"* ]] || fail "/proc/version lacks the patch's mark"
}

@test "the same O= without the tree gives back the images of the default build, byte for byte" {
	[ -f "$O/images/SHA256SUMS" ] || fail "no images from the first test"
	# Seeded again: the tree's two builds may have evicted a seeded default
	# kernel from the private cache (it keeps the 8 used last).
	seed_cache "$C" kernels
	mk image
	[ "$status" = 0 ] || fail "make image without the tree failed"
	[[ $output != *"kernel: building"* ]] || fail "a kernel was built: the default kernels are in the cache"
	[ ! -e "$O/images/SHA256SUMS" ] || fail "the file post-build added is still there"
	local f bad=
	for f in vmlinuz vmlinux vmlinux-up kernel.config kernel-up.config initrd.img cbfs.rom manifest.json; do
		cmp -s "$O/images/$f" "$IMAGES/$f" || bad="$bad $f"
	done
	[ -z "$bad" ] || fail "differs from $IMAGES:$bad"
}

@test "a tree's fragment overrides a default; two trees that disagree fail, naming both" {
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/a/kernel" "$t/b/kernel"
	printf 'name: a\nlicense: MIT\n' > "$t/a/external.desc"
	printf 'name: b\nlicense: MIT\n' > "$t/b/external.desc"
	echo CONFIG_IPV6=y > "$t/a/kernel/ipv6.config"
	echo '# CONFIG_IPV6 is not set' > "$t/b/kernel/no-ipv6.config"
	mk kernel-config EXTERNAL="$t/a"
	[ "$status" = 0 ] || fail "a tree turning on IPV6, which net.config turns off, failed"
	grep -qx CONFIG_IPV6=y "$O/obj/kernel/kernel.config" || fail "the tree's CONFIG_IPV6=y did not win"
	mk kernel-config EXTERNAL="$t/a $t/b"
	[ "$status" != 0 ] || fail "two trees disagreeing on CONFIG_IPV6 resolved"
	[[ $output == *"kernel: # CONFIG_IPV6 is not set from $t/b/kernel/no-ipv6.config conflicts with CONFIG_IPV6=y from $t/a/kernel/ipv6.config"* ]] ||
		fail "the conflict does not name both trees' fragments"
}

@test "a tree without external.desc, or whose post-build hook changes an image, is refused" {
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/bare" "$t/bad"
	mk kernel-config EXTERNAL="$t/bare"
	[ "$status" != 0 ] || fail "a tree without external.desc was taken"
	[[ $output == *"$t/bare has no external.desc"* ]] || fail "the refusal does not say why"
	printf 'name: bad\nlicense: MIT\n' > "$t/bad/external.desc"
	printf '#!/bin/sh\necho " debug" >> "$1/cmdline"\n' > "$t/bad/post-build.sh"
	chmod +x "$t/bad/post-build.sh"
	mk image EXTERNAL="$t/bad"
	[ "$status" != 0 ] || fail "a post-build hook that changed cmdline passed"
	[[ $output == *"bad/post-build.sh changed or removed cmdline"* ]] || fail "the failure does not name the file"
}
