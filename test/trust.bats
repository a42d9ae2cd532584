#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# trust.bats: every cache and state directory the runner reads is trusted
# (lib/trust.h) or the run stops before qemu starts: 125, one line naming
# the path and why, no qemu (a fake one first on PATH would say so).
# A second local account (qpodtest, made as rootless.bats makes it) plants
# a cache where the examples used to put theirs, /var/tmp, holding a signed
# bundle's boot parts with its own vm.conf and command line (issue 26,
# finding 1); then each kind of directory and file the runner reads
# (images, an entry, its root disk, templates, the disks' digests, bundles,
# a bundle's parts, their records, the state directory) is handed to that
# account, replaced by a symlink, or made group-writable, one at a time, in
# a cache that otherwise works. Links that root owns above the cache are
# followed (/var/run is one), any other is not. The suite runs as root.
load helpers
bats_require_minimum_version 1.5.0

RUSER=qpodtest

setup_file() {
	[ "$(id -u)" = 0 ] || { echo "# cannot run here: the suite needs root to make and become $RUSER" >&3; return 1; }
	id -u "$RUSER" >/dev/null 2>&1 || useradd -m "$RUSER"
	OTHER=$(id -u "$RUSER")
	export OTHER
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache QPOD_STATE=$BATS_FILE_TMPDIR/state
	export APP=$BATS_FILE_TMPDIR/app.qpod KEY=$BATS_FILE_TMPDIR/key
	ssh-keygen -q -t ed25519 -N '' -C ci -f "$KEY"
	"$QPOD" bundle --sign "$KEY" "$IMAGES/busybox.tar" -o "$APP" > "$BATS_FILE_TMPDIR/bundle.out"
	DIGEST=$(cut -d' ' -f1 "$BATS_FILE_TMPDIR/bundle.out")
	export DIGEST=${DIGEST#sha256:}
	mk_fakeqemu "$BATS_FILE_TMPDIR/fakebin"
	# where the second account makes its directories (removed whatever happens)
	export SQUAT=/var/tmp/qpod-squat.$$ THEIRS=/var/tmp/qpod-theirs.$$
}

teardown_file() {
	rm -rf "${SQUAT:?}" "${THEIRS:?}"
}

setup() {
	need_images
	cd "$BATS_TEST_TMPDIR"
}

# Every kind of directory there: a bundle and an image run once each (the
# image's run makes its root disk and template).
warm() {
	"$QPOD" run --network none --verify-key "$KEY.pub" "$APP" true
	"$QPOD" run --network none "$IMAGES/busybox.tar" true
	ENTRY=images/$(ls "$QPOD_CACHE/images")
	DISK=$ENTRY/$(cd "$QPOD_CACHE/$ENTRY" && ls rootfs.*.sqfs)
}

run_image() { "$QPOD" run --network none "$IMAGES/busybox.tar" true; }
run_bundle() { "$QPOD" run --network none --verify-key "$KEY.pub" "$APP" true; }

@test "a cache another account planted under a signed bundle's digest is refused, signature good or not" {
	local sq=$SQUAT
	QPOD_CACHE=$PWD/ref "$QPOD" verify "$APP"
	# What qpodtest writes: the real parts, its own vm.conf and command line.
	runuser -u "$RUSER" -- mkdir -m 755 -p "$sq/bundles/$DIGEST"
	cp "$PWD/ref/bundles/$DIGEST"/* "$sq/bundles/$DIGEST/"
	printf 'memory=1024\ncpus=2\nmachine=pc,acpi=off,mem-merge=on\naccel=tcg\nboot=fwcfg\nboot_timeout=30\nshutdown_timeout=5\n' \
		> "$sq/bundles/$DIGEST/vm.conf"
	echo "console=ttyS0 quiet qpod.planted=1" > "$sq/bundles/$DIGEST/cmdline"
	chown -R "$RUSER:" "$sq"
	QPOD_CACHE=$sq refused_line "$sq belongs to uid $OTHER" "$QPOD" run --network none --verify-key "$KEY.pub" "$APP" cat /proc/cmdline
	QPOD_CACHE=$sq refused_line "$sq belongs to uid $OTHER" "$QPOD" run --network none "$APP" true
	QPOD_CACHE=$sq refused_line "$sq belongs to uid $OTHER" "$QPOD" verify "$APP"
	QPOD_CACHE=$sq refused_line "$sq belongs to uid $OTHER" "$QPOD" run --network none "$IMAGES/busybox.tar" true
	# nothing of root's went into it
	[ -z "$(find "$sq" ! -user "$RUSER")" ]
	rm -rf "$sq"
}

@test "a cache of ours in another account's directory is refused: it could be renamed or replaced under us" {
	local theirs=$THEIRS
	runuser -u "$RUSER" -- mkdir -m 755 "$theirs"
	mkdir -m 700 "$theirs/cache"
	QPOD_CACHE=$theirs/cache refused_line "$theirs belongs to uid $OTHER, not to you or root" "$QPOD" verify "$APP"
	QPOD_CACHE=$theirs/cache refused_line "$theirs belongs to uid $OTHER, not to you or root" run_image
	rm -rf "$theirs"
}

@test "each kind of cache directory or file handed to another account: 125, one line, no qemu" {
	warm
	local rel cmd
	while IFS='|' read -r rel cmd; do
		rel=${rel//ENTRY/$ENTRY} rel=${rel//DISK/$DISK} rel=${rel//DIGEST/$DIGEST}
		[ -e "$QPOD_CACHE/$rel" ]
		chown -h "$OTHER" "$QPOD_CACHE/$rel"
		refused_line "$rel belongs to uid $OTHER, not to you" $cmd
		chown -h 0 "$QPOD_CACHE/$rel"
	done <<-'EOF'
	images|run_image
	ENTRY|run_image
	DISK|run_image
	refs|run_image
	locks|run_image
	tmp|run_image
	templates|run_image
	templates/digests|run_image
	bundles|run_bundle
	bundles/DIGEST|run_bundle
	bundles/DIGEST/vmlinux|run_bundle
	bundles/DIGEST/vm.conf|run_bundle
	bundles/DIGEST/cmdline|run_bundle
	bundles/DIGEST/qboot.rom|run_bundle
	bundles/verified|run_bundle
	templates|run_bundle
	EOF
	# a record of a verified file that someone else wrote is not believed
	local rec
	rec=$(ls "$QPOD_CACHE/bundles/verified" | head -1)
	chown "$OTHER" "$QPOD_CACHE/bundles/verified/$rec"
	refused_line "$rec belongs to uid $OTHER" run_bundle
	chown 0 "$QPOD_CACHE/bundles/verified/$rec"
	run_bundle
	run_image
}

@test "the state directory of another account, or its names/: run -d refused before qemu" {
	warm
	mkdir -p "$QPOD_STATE/names"
	chmod 700 "$QPOD_STATE" "$QPOD_STATE/names"
	chown "$OTHER" "$QPOD_STATE"
	refused_line "$QPOD_STATE belongs to uid $OTHER" "$QPOD" run -d --network none "$IMAGES/busybox.tar" sleep 5
	chown 0 "$QPOD_STATE"
	chown "$OTHER" "$QPOD_STATE/names"
	refused_line "names belongs to uid $OTHER" "$QPOD" run -d --network none "$IMAGES/busybox.tar" sleep 5
	chown 0 "$QPOD_STATE/names"
}

@test "a symlinked cache, state or cache subdirectory is refused, even one that points to our own" {
	warm
	mv "$QPOD_CACHE" "$PWD/real"
	ln -s "$PWD/real" "$QPOD_CACHE"
	refused_line "$QPOD_CACHE is a symbolic link" run_image
	refused_line "$QPOD_CACHE is a symbolic link" run_bundle
	rm "$QPOD_CACHE"
	mv "$PWD/real" "$QPOD_CACHE"
	local rel
	for rel in "bundles/$DIGEST" templates "$ENTRY"; do
		mv "$QPOD_CACHE/$rel" "$PWD/moved"
		ln -s "$PWD/moved" "$QPOD_CACHE/$rel"
		case $rel in
		bundles/*) refused_line "$rel is a symbolic link" run_bundle ;;
		*) refused_line "$rel is a symbolic link" run_image ;;
		esac
		rm "$QPOD_CACHE/$rel"
		mv "$PWD/moved" "$QPOD_CACHE/$rel"
	done
	mkdir -m 700 "$PWD/st"
	ln -s "$PWD/st" "$PWD/st-link"
	QPOD_STATE=$PWD/st-link refused_line "st-link is a symbolic link" "$QPOD" run -d --network none "$IMAGES/busybox.tar" sleep 5
	run_bundle
}

@test "a group-writable cache, subdirectory, part or ancestor is refused" {
	warm
	local rel
	for rel in . images "$ENTRY" templates bundles "bundles/$DIGEST" "bundles/$DIGEST/vmlinux"; do
		chmod g+w "$QPOD_CACHE/$rel"
		case $rel in
		bundles/*) refused_line "is writable by group or others" run_bundle ;;
		*) refused_line "is writable by group or others" run_image ;;
		esac
		chmod g-w "$QPOD_CACHE/$rel"
	done
	chmod o+w "$BATS_FILE_TMPDIR"
	refused_line "$BATS_FILE_TMPDIR is writable by group or others" run_bundle
	chmod o-w "$BATS_FILE_TMPDIR"
	mkdir -p "$QPOD_STATE"
	chmod 770 "$QPOD_STATE"
	refused_line "$QPOD_STATE is writable by group or others" "$QPOD" run -d --network none "$IMAGES/busybox.tar" sleep 5
	chmod 700 "$QPOD_STATE"
	run_bundle
}

@test "above the cache: root's links are followed, sticky /var/tmp is fine, another account's link is not" {
	ln -s "$BATS_FILE_TMPDIR" up
	QPOD_CACHE=$PWD/up/cache run "$QPOD" verify "$APP"
	[ "$status" -eq 0 ]
	local vt
	vt=$(mktemp -d /var/tmp/qpod-trust.XXXXXX)
	QPOD_CACHE=$vt/cache run "$QPOD" verify "$APP"
	rm -rf "$vt"
	[ "$status" -eq 0 ]
	ln -s "$BATS_FILE_TMPDIR" theirs
	chown -h "$OTHER" theirs
	QPOD_CACHE=$PWD/theirs/cache refused_line "theirs is a symbolic link" "$QPOD" verify "$APP"
}
