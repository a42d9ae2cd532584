#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# rootless.bats: qpod as an unprivileged user (issue 12). CI runs as root, so
# the suite makes an account (qpodtest) if there is none and runs qpod-pack,
# qpod and the hostile suite as that user, with a cache in a directory the
# user owns on a real disk (/var/tmp, not a tmpfs). The image is
# test/rootless/mkowners.py's: setuid and setgid files, root-only files, a
# user's home, links of every kind, a fifo and devices, over two layers.
# What must hold: the guest sees exactly what a root run shows (owners,
# modes, types, link targets, hardlinks, times), from a user's cache that is
# harmless to the host (no setuid or setgid file, no device node, nothing
# group- or other-writable); volumes write as the user; a user's bundle is
# byte for byte root's; no hostile archive escapes; an arm64 guest runs
# as the user; `make image` works as the user in a clean clone with a warm
# kernel cache.
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
	as_user "$BATS_TEST_DIRNAME/rootless/mkowners.py" "$UDIR/owners.tar"
	export QPOD=$QPOD_OUT/bin/qpod ROOTCACHE=$BATS_FILE_TMPDIR/rootcache
}

teardown_file() {
	[ -z "${UDIR:-}" ] || rm -rf "$UDIR"
}

# as_user CMD...: CMD as the unprivileged user, with a cache and a TMPDIR it
# owns, in a clean environment (bats puts its libexec first in PATH, whose
# bats needs the outer run's variables).
as_user() {
	runuser -u "$RUSER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$UDIR" TMPDIR="$UDIR" \
		QPOD_CACHE="$UDIR/cache" QPOD_OUT="$QPOD_OUT" QPOD_FIXTURES="$FIX" ${SDE:+SOURCE_DATE_EPOCH=$SDE} "$@"
}

# The guest's view of the image: every path with its type, owner, mode and
# link count, and for non-directories size and mtime (directories the last
# layer changed carry the unpack's time); hyperstart's own files left out.
LIST='cd / && find . -xdev | sort | while read -r f; do
	case $f in .|./dev|./sys|./proc|./etc/hostname|./etc/hosts|./etc/resolv.conf|./etc/mtab) continue ;; esac
	if [ -d "$f" ] && [ ! -L "$f" ]; then stat -c "%n %F %u:%g %a %h" "$f"
	else stat -c "%n %F %u:%g %a %h %s %Y" "$f"; fi
done'

# the image's device placeholders, which a root run leaves out (with a warning)
no_devices() { grep -v -e '^\./opt/null ' -e '^\./opt/disk '; }

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

@test "the guest sees a user's cache exactly as root's: owners, modes, types, links, hardlinks, times" {
	run --separate-stderr env QPOD_CACHE="$ROOTCACHE" "$QPOD" run "$UDIR/owners.tar" sh -c "$LIST"
	[ "$status" -eq 0 ]
	want=$output
	run --separate-stderr as_user "$QPOD" run "$UDIR/owners.tar" sh -c "$LIST"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "$(no_devices <<<"$output")" = "$want" ]
	# and what root shows is the image
	[[ "$want" == *"./etc/shadow regular file 0:42 640 1 53 1700000000"* ]]
	[[ "$want" == *"./usr/bin/passwd regular file 0:0 4755 2 7 1700000000"* ]]
	[[ "$want" == *"./usr/bin/passwd.hard regular file 0:0 4755 2 7 1700000000"* ]]
	[[ "$want" == *"./usr/bin/wall regular file 0:5 2755 1 5 1700000000"* ]]
	[[ "$want" == *"./usr/bin/pw symbolic link 1000:1000 777 1 4 1700000000"* ]]
	[[ "$want" == *"./root directory 0:0 700 2"* ]]
	[[ "$want" == *"./home/alice directory 1000:1000 750 2"* ]]
	[[ "$want" == *"./var/spool/drop directory 0:42 1733 2"* ]]
	[[ "$want" == *"./opt/fifo fifo 0:0 644 1 0 1700000000"* ]]
	[[ "$want" == *"./bin/sh symbolic link 0:0 777 1 7 1700000000"* ]]
}

@test "as the user: link targets, a file written through a directory link, su to the image's user, chown as root" {
	run as_user "$QPOD" run "$UDIR/owners.tar" sh -c '
		readlink /usr/bin/pw; readlink /etc/share; readlink /opt/dangling
		cat /etc/share/through-link
		stat -c "%U:%G %a" /etc/shadow /usr/bin/passwd
		su alice -s /bin/sh -c "id; cat /home/alice/notes"
		su alice -s /bin/sh -c "cat /root/secret" 2>/dev/null || echo "alice may not read /root/secret"
		chown alice:alice /etc/shadow && stat -c "%U:%G" /etc/shadow'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = wall ]
	[ "${lines[1]}" = /usr/share ]
	[ "${lines[2]}" = /nowhere ]
	[ "${lines[3]}" = "layer 2" ]
	[ "${lines[4]}" = "root:shadow 640" ]
	[ "${lines[5]}" = "root:root 4755" ]
	[ "${lines[6]}" = "uid=1000(alice) gid=1000(alice) groups=1000(alice)" ]
	[ "${lines[7]}" = "alice's" ]
	[ "${lines[8]}" = "alice may not read /root/secret" ]
	[ "${lines[9]}" = "alice:alice" ]
}

@test "devices are empty placeholders on the host that the guest sees as its own devices" {
	run as_user "$QPOD" run "$UDIR/owners.tar" sh -c 'stat -c "%F %t:%T %u:%g %a" /opt/null /opt/disk; echo gone > /opt/null; cat /opt/null; echo ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 0:0 666" ]
	[ "${lines[1]}" = "block special file 8:0 0:6 660" ]
	[ "${lines[2]}" = ok ]
	run find "$UDIR/cache" -type b -o -type c -o -type l -o -type p -o -type s
	[ -z "$output" ]
	run find "$UDIR/cache/images" -path '*/rootfs/opt/null' -type f -empty
	[ -n "$output" ]
}

@test "the user's cache: no setuid, setgid, link or node on the host; the entry records its owner mapping" {
	as_user "$QPOD" run "$UDIR/owners.tar" sh -c :
	run find "$UDIR/cache" -perm /6022
	[ -z "$output" ]
	run find "$UDIR/cache" -not -user "$RUSER"
	[ -z "$output" ]
	[ "$(jq -r .owners "$UDIR"/cache/images/*/config.json | sort -u)" = mapped-xattr ]
	QPOD_CACHE=$ROOTCACHE "$QPOD" run "$UDIR/owners.tar" sh -c : 2>/dev/null
	[ "$(jq -r .owners "$ROOTCACHE"/images/*/config.json | sort -u)" = host ]
}

@test "a volume: what the guest writes is the user's on the host, and it reads the user's files" {
	as_user mkdir -p "$UDIR/vol"
	as_user sh -c "echo from-host > $UDIR/vol/in"
	run as_user "$QPOD" run -v "$UDIR/vol:/vol" "$UDIR/owners.tar" sh -c 'cat /vol/in; echo from-guest > /vol/out; mkdir /vol/dir; touch /vol/dir/f'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$UDIR/vol/out")" = from-guest ]
	[ "$(stat -c %U "$UDIR/vol/out")" = "$RUSER" ]
	[ "$(stat -c %U "$UDIR/vol/dir/f")" = "$RUSER" ]
}

@test "as the user, an arm64 image boots the arm64 guest (restored the second time); its volume writes are the user's" {
	local arm=$QPOD_OUT/images-arm64/busybox.tar
	[ "$(uname -m)" != aarch64 ] || arm=$QPOD_OUT/images/busybox.tar
	[ -f "$arm" ] || { echo "# missing: $arm: run make image ARCH=arm64 first" >&3; return 1; }
	as_user mkdir -p "$UDIR/avol"
	run as_user "$QPOD" run -v "$UDIR/avol:/v" "$arm" sh -c 'uname -m; echo from-arm64 > /v/out'
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[ "$(cat "$UDIR/avol/out")" = from-arm64 ]
	[ "$(stat -c %U "$UDIR/avol/out")" = "$RUSER" ]
	run as_user "$QPOD" run --result "$UDIR/ar.json" -v "$UDIR/avol:/v" "$arm" cat /v/out
	[ "$status" -eq 0 ]
	[ "$output" = from-arm64 ]
	[ "$(jq -r .snapshot "$UDIR/ar.json")" = restored ]
}

@test "as the user, qemu is jailed as for root, under the user's own namespace, and a rw volume gets only plain files of the user's" {
	as_user mkdir -p "$UDIR/plant"
	as_user "$QPOD" run -v "$UDIR/plant:/rw" "$UDIR/owners.tar" sh -c \
		'cd /rw && cp /bin/busybox suid && chmod 4755 suid && mknod dev c 1 3 && ln -s /etc/shadow link && chown 1234 suid'
	[ -z "$(find "$UDIR/plant" -perm /6000 -o ! -type f ! -type d -o ! -user "$RUSER")" ]
	as_user "$QPOD" run "$UDIR/owners.tar" sleep 30 &
	local bg=$! q= i
	for i in $(seq 200); do
		q=$(pgrep -u "$RUSER" -f '^qemu-system-x86_64 -nodefaults' | head -1)
		if [ -n "$q" ] && grep -q $'^Seccomp:\t2$' "/proc/$q/status"; then break; fi
		sleep 0.05
	done
	st=$(cat "/proc/$q/status")
	nss=$(for ns in mnt pid net user; do readlink "/proc/$q/ns/$ns"; done)
	kill $bg
	echo "$st" | grep -E '^(Uid|Cap|NoNewPrivs|Seccomp)'
	uid=$(id -u "$RUSER")
	[[ "$st" == *$'\nUid:\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\n'* ]]
	[[ "$st" == *$'\nCapEff:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nCapBnd:\t0000000000000000\n'* ]]
	[[ "$st" == *$'\nNoNewPrivs:\t1\n'* ]]
	[[ "$st" == *$'\nSeccomp:\t2\n'* ]]
	[ "$(echo "$nss" | grep -c .)" -eq 4 ]
	for ns in mnt pid net user; do
		[[ "$nss" != *"$(readlink /proc/self/ns/$ns)"* ]]
	done
	wait $bg || true
}

@test "a cache on a filesystem without user xattrs (ramfs): 125, one line naming it, nothing left" {
	mkdir -p "$UDIR/ram"
	run --separate-stderr unshare -m sh -c 'mount -t ramfs none "$1" && chown "$2:" "$1" &&
		runuser -u "$2" -- env -i PATH=/usr/bin:/bin HOME="$1" QPOD_CACHE="$1/cache" "$3" run "$4" sh -c :;
		echo "status $?"; find "$1/cache/tmp" "$1/cache/images" -mindepth 1' \
		sh "$UDIR/ram" "$RUSER" "$QPOD" "$UDIR/owners.tar"
	echo "$output / $stderr"
	[ "$output" = "status 125" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "qpod: $UDIR/ram/cache: this filesystem cannot hold user xattrs"* ]]
}

@test "a user's bundle is byte for byte root's, and boots with the image's owners" {
	export SDE=1700000000
	QPOD_CACHE=$ROOTCACHE SOURCE_DATE_EPOCH=$SDE "$QPOD" bundle "$UDIR/owners.tar" -o "$BATS_TEST_TMPDIR/root.qpod" > /dev/null
	as_user "$QPOD" bundle "$UDIR/owners.tar" -o "$UDIR/user.qpod" > /dev/null
	cmp "$BATS_TEST_TMPDIR/root.qpod" "$UDIR/user.qpod"
	run as_user "$QPOD" run "$UDIR/user.qpod" stat -c "%U:%G %a" /etc/shadow /usr/bin/passwd
	[ "${lines[0]}" = "root:shadow 640" ]
	[ "${lines[1]}" = "root:root 4755" ]
}

@test "make image works as the user in a clean clone with a warm kernel cache" {
	cache=${QPOD_BUILD_CACHE:-$HOME/.cache/qpod-build}
	ls "$cache"/kernel/kern-* > /dev/null 2>&1 || { echo "# no warm kernel cache in $cache (make image first)" >&3; return 1; }
	git clone -q "$BATS_TEST_DIRNAME/.." "$UDIR/clone"
	# the kernels built and the downloads, not the build trees (the source is unpacked again)
	mkdir -p "$UDIR/bcache/kernel"
	cp -a "$cache/dl" "$UDIR/bcache/"
	cp -a "$cache"/kernel/conf-* "$cache"/kernel/kern-* "$UDIR/bcache/kernel/"
	[ ! -d "$cache/apt" ] || cp -a "$cache/apt" "$UDIR/bcache/"
	chown -R "$RUSER:" "$UDIR/clone" "$UDIR/bcache"
	run as_user make -C "$UDIR/clone" image QPOD_BUILD_CACHE="$UDIR/bcache"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	cmp "$UDIR/clone/out/images/vmlinux-up" "$QPOD_OUT/images/vmlinux-up"
	run as_user "$UDIR/clone/out/bin/qpod" run "$UDIR/clone/out/images/busybox.tar" sh -c 'echo built by $(id -u)'
	[ "$output" = "built by 0" ]
	rm -rf "$UDIR/clone" "$UDIR/bcache"
}
