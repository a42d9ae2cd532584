# SPDX-License-Identifier: Apache-2.0
# helpers.bash: shared by the bats suites (load helpers).
#   OUT      absolute build output (QPOD_OUT from test.mk, default ./out)
#   QPOD     the runner binary
#   BBROOT   a busybox root directory made once per machine run (mk_bbroot)
#   seed_cache DIR [kernels]   a private build cache for kernel builds

REPO=$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)
OUT=${QPOD_OUT:-$REPO/out}
QPOD=$OUT/bin/qpod
IMAGES=$OUT/images

# A root directory with Debian's static busybox, two users and the applets as
# symlinks: the runner's tests need no packer.
mk_bbroot() {
	local root=$1
	[ -x "$root/bin/busybox" ] && return 0
	mkdir -p "$root"/{bin,etc,tmp,root,home/qpod}
	cp /bin/busybox "$root/bin/busybox"
	local a
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nqpod:x:1000:1000:qpod:/home/qpod:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
	printf 'root:x:0:\nqpod:x:1000:\nstaff:x:50:qpod\nnogroup:x:65534:\n' > "$root/etc/group"
	chmod 1777 "$root/tmp"
	chown 1000:1000 "$root/home/qpod"
}

# The public fixture images (../shared/fixtures/images/SOURCES.md).
fixtures_dir() {
	local d=${QPOD_FIXTURES:-$REPO/../shared/fixtures/images}
	[ -d "$d" ] || d=/work/shared/fixtures/images
	echo "$d"
}

# need_images [FILE...]: each FILE of $IMAGES, or without one the runner and
# the boot images, or the test fails naming what is missing. Never a skip: a
# missing image is a broken build, and CI must not pass by skipping.
need_images() {
	local f missing=
	[ $# -gt 0 ] || [ -x "$QPOD" ] || missing=" $QPOD"
	[ $# -gt 0 ] || set -- vmlinuz initrd.img
	for f; do
		[ -f "$IMAGES/$f" ] || missing="$missing $IMAGES/$f"
	done
	[ -z "$missing" ] || fail_now "missing:$missing: run \`make image\` first"
}

# seed_cache DIR [kernels]: DIR becomes a private build cache, or is kept
# one: the shared cache's pristine kernel source hard-linked (copied across
# filesystems), its downloads and apt lists copied, and with "kernels" its
# config dir and finished kernels too (hard links: a kern-KEY is never
# written, only read, renamed into place and removed), so that the default
# config builds nothing. What DIR has already stays.
seed_cache() {
	local shared=${QPOD_BUILD_CACHE:-$HOME/.cache/qpod-build} s n
	mkdir -p "$1/kernel"
	[ ! -d "$shared/dl" ] || cp -a "$shared/dl" "$1/"
	[ ! -d "$shared/apt" ] || cp -a "$shared/apt" "$1/"
	for s in "$shared"/kernel/src-* "$shared"/kernel/conf-* "$shared"/kernel/kern-*; do
		n=${s##*/}
		case $n in *+* | *.tmp | 'src-*' | 'conf-*' | 'kern-*') continue ;; esac
		[ ! -e "$1/kernel/$n" ] || continue
		case $n in
		src-*) cp -al "$s" "$1/kernel/" 2>/dev/null || cp -a "$s" "$1/kernel/" ;;
		conf-*) [ "${2:-}" != kernels ] || cp -a "$s" "$1/kernel/" ;;
		# another build may drop a kernel of the shared cache meanwhile: then it is not seeded
		kern-*) [ "${2:-}" != kernels ] || cp -al "$s" "$1/kernel/" 2>/dev/null || cp -a "$s" "$1/kernel/" 2>/dev/null ||
			rm -rf "$1/kernel/$n" ;;
		esac
	done
}

fail_now() {
	echo "# $*" >&3
	return 1
}

# A tree digest: paths, types, modes, owners, sizes and contents.
tree_digest() {
	[ -d "$1" ] || { echo "tree_digest: $1 is not a directory" >&2; return 1; }
	(cd "$1" || exit 1
		find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# Remove every detached VM of $QPOD_STATE (a test's teardown): no qemu, no
# monitor and no state outlive a test.
rm_all_vms() {
	local id
	for id in $(./qpod ps -aq --no-trunc 2>/dev/null); do
		./qpod rm -f "$id" >/dev/null 2>&1 || true
	done
}

# stop_bg: the test's background run ($bg) and server ($srv), if any, in a teardown.
stop_bg() {
	[ -z "${bg:-}" ] || kill $bg 2>/dev/null || true
	[ -z "${srv:-}" ] || kill $srv 2>/dev/null || true
	wait 2>/dev/null || true
}

# wait_log NAME TEXT: until the VM's log has TEXT (a command that set its
# traps says so), at most 30 s.
wait_log() {
	local i
	for i in $(seq 300); do
		./qpod logs "$1" 2>&1 | grep -q "$2" && return 0
		sleep 0.1
	done
	echo "no \"$2\" in the log of $1"
	return 1
}

# notify_listen SOCKET OUT: a systemd notify socket (for $NOTIFY_SOCKET) that
# writes each datagram to OUT, a line each, its newlines turned to spaces;
# its pid in LISTENER (the caller's teardown kills it).
notify_listen() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()' "$1" "$2" &
	LISTENER=$!
	local i
	for i in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
	return 1
}

# mk_fakeqemu DIR: a qemu-system-x86_64 and -aarch64 in DIR (exported as FAKEBIN) that
# only says it started, on its stderr, which qpod shows; refused_line puts
# it first on PATH where no VM may start. (A mark on the host's disk could
# not be written from inside qemu's jail.) It lives a second: one that ends
# at once is often gone before pasta opens its network namespace, and the
# run then says "/proc/PID/ns/net: No such file or directory" instead.
mk_fakeqemu() {
	export FAKEBIN=$1
	mkdir -p "$FAKEBIN"
	printf '#!/bin/sh\necho fake-qemu-started >&2\nsleep 1\nexit 1\n' > "$FAKEBIN/qemu-system-x86_64"
	chmod +x "$FAKEBIN/qemu-system-x86_64"
	cp "$FAKEBIN/qemu-system-x86_64" "$FAKEBIN/qemu-system-aarch64"
}

# refused_line WANT CMD...: CMD exits 125 with one line on stderr holding
# WANT, and no qemu started (with $FAKEBIN first on PATH, if set); the line
# is in $stderr. The suite needs bats_require_minimum_version 1.5.0.
refused_line() {
	local want=$1
	shift
	local -x PATH="${FAKEBIN:+$FAKEBIN:}$PATH"
	run --separate-stderr "$@"
	echo "$*: status $status, stderr: $stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$want"* ]]
	[[ "$stderr" != *fake-qemu-started* ]]
}

# tty_window IMAGE: ./run -t -i IMAGE in a 97x31 tmux window reports that
# size (stty size) and a pty, and exits 0.
tty_window() {
	local sock=$BATS_TEST_TMPDIR/tmux o=$BATS_TEST_TMPDIR/o i
	command -v tmux >/dev/null || fail_now "tmux is not installed (make deps-test)"
	tmux -S "$sock" new-session -d -x 97 -y 31 "./run -t -i '$1' sh -c 'stty size; tty' > '$o' 2>&1; echo rc=\$? >> '$o'"
	for i in $(seq 600); do grep -q rc= "$o" 2>/dev/null && break; sleep 0.1; done
	tmux -S "$sock" kill-server 2>/dev/null || true
	run tr -d '\r' < "$o"
	echo "$output"
	[[ "$output" == *"31 97"* ]] || return 1
	[[ "$output" == *"/dev/pts/"* ]] || return 1
	[[ "$output" == *"rc=0"* ]]
}
