#!/usr/bin/env bats
# rootless.bats: the packer as an unprivileged user (issue 12, first part).
# CI runs as root, so the suite makes an account (qpodtest) if there is none
# and runs qpod-pack and the hostile suite as that user, with a cache in a
# directory the user owns on a real disk (/var/tmp, not a tmpfs). What it
# holds today: a user's cache is harmless to the host (no setuid or setgid
# file, nothing group- or other-writable) and no hostile archive escapes.
# Not yet: the guest seeing the image's owners (mapped-xattr share).
bats_require_minimum_version 1.5.0

RUSER=qpodtest

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	export QPOD_OUT=${QPOD_OUT:-$PWD/out}
	export PACK=$QPOD_OUT/obj/packer/qpod-pack
	[ -x "$PACK" ] || { echo "# $PACK missing: make O=... packer" >&3; return 1; }
	[ "$(id -u)" = 0 ] || { echo "# cannot run here: the suite needs root to make and become $RUSER" >&3; return 1; }
	id -u "$RUSER" >/dev/null 2>&1 || useradd -m "$RUSER"
	export FIX=${QPOD_FIXTURES:-$PWD/../shared/fixtures/images}
	[ -d "$FIX" ] || FIX=/work/shared/fixtures/images
	export UDIR
	UDIR=$(mktemp -d /var/tmp/qpod-rootless.XXXXXX)
	chown "$RUSER:" "$UDIR"
	chmod 700 "$UDIR"
	as_user "$BATS_TEST_DIRNAME/packer/mkhostile.py" "$UDIR/gen" "r$$"
}

teardown_file() {
	[ -z "${UDIR:-}" ] || rm -rf "$UDIR"
}

# as_user CMD...: CMD as the unprivileged user, with a cache and a TMPDIR it
# owns, in a clean environment (bats puts its libexec first in PATH, whose
# bats needs the outer run's variables).
as_user() {
	runuser -u "$RUSER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$UDIR" TMPDIR="$UDIR" \
		QPOD_CACHE="$UDIR/cache" QPOD_OUT="$QPOD_OUT" QPOD_FIXTURES="$FIX" "$@"
}

@test "the suite's user is not root" {
	run as_user id -u
	[ "$status" -eq 0 ]
	[ "$output" != 0 ]
}

@test "a user's cache holds no setuid or setgid file and nothing group- or other-writable" {
	run as_user "$PACK" "$UDIR/gen/setuid.tar"
	[ "$status" -eq 0 ]
	run as_user "$PACK" "$FIX/trivy-docker-save-alpine-3.10.tar.gz"
	[ "$status" -eq 0 ]
	# The image does have such modes: root's cache keeps them.
	QPOD_CACHE=$BATS_TEST_TMPDIR/rootcache "$PACK" "$UDIR/gen/setuid.tar"
	[ -n "$(find "$BATS_TEST_TMPDIR/rootcache" -perm /6000)" ]
	[ -n "$(find "$UDIR/cache/images" -path '*/rootfs/*' | head -1)" ]
	run find "$UDIR/cache" -perm /6022 -not -type l
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run find "$UDIR/cache" -not -user "$RUSER"
	[ -z "$output" ]
}

@test "the hostile-archive suite passes as the user" {
	run as_user bats --tap "$BATS_TEST_DIRNAME/hostile.bats"
	echo "$output" | grep -v '^ok ' | head -40
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok "* ]]
	[ -z "$(grep '^not ok' <<<"$output")" ]
}
