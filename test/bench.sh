#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh: qpod's numbers and a stock baseline, all measured in this run on
# this machine, as one table (make bench). Variants that are compared run
# interleaved (rounds()), never one batch after another. Wall times are taken around ./run
# (bash's $EPOCHREALTIME); phases and qemu's peak RSS come from the runner's
# own --result. Medians of BENCH_RUNS runs (default 15, at least 10), after
# one warm-up run each (packer cache, page cache).
#
#   boot      ./run busybox.tar true: median, min, max (the fast path: a
#             template restored); the same with --no-snapshot (a cold boot);
#             the physical floor: qemu -S with the same machine, started and
#             quit over QMP at once; the ratios. ./run ROOTDIR true;
#             --network none against the default network
#   memory    qemu's peak RSS, fast path and cold; the PSS of 8 concurrent
#             VMs (their qemus' smaps_rollup), fast path and cold
#   appliance qpod exec into a running VM, run -d until the command runs,
#             both against ./run ROOTDIR true (the fast path)
#   baseline  the same command on the same path (a cold boot shares the
#             image over 9p), but booting Debian's stock kernel
#             (linux-image-amd64, with its virtio/9p/overlay/net modules
#             loaded by a bench initrd) with SeaBIOS: test/bench/stock.sh;
#             BENCH_STOCK_RUNS runs (default 10). And the ratio.
#             Debian's cloud kernel (linux-image-cloud-amd64) has no 9p, so
#             it cannot run the command: its row is qemu start to READY.
#   phases    median of each phase (--result timings), both kernels
#   output    first output byte of ./run busybox.tar echo x
#   memory    qemu's peak RSS
#   sizes     the kernel the runner boots (vmlinux-up), vmlinux, vmlinuz,
#             initrd.img; and the baseline's
#   streams   stdout (guest to host) and stdin (host to guest) throughput
#   images    ./run of a cached registry reference (a loopback docker-registry,
#             policy missing: no skopeo call) and of an OCI layout directory,
#             in the same rounds as busybox.tar; and the packer alone
#             (qpod-pack, warm) on each, interleaved
#   bundle    qpod bundle busybox.tar: build time and size; ./run APP.qpod true
#             in the same rounds as ./run busybox.tar true; with BENCH_BASE=OUT
#             (another build's out/, e.g. of main, or of the tree before the
#             jail: its cost) its ./run busybox.tar true, restored and cold,
#             and its own bundle's run too, in the same rounds; verify's hash
#             rate; the re-check of a verified bundle (qpod inspect: open,
#             framing, identity record); an exec-heavy and a metadata-heavy
#             command on the squashfs disk (the bundle) against 9p (a root
#             directory; command time, from --result, interleaved), and on
#             BENCH_BASE's bundle's disk (one before dm-verity: its cost)
#   rootless  ./run busybox.tar true as an unprivileged user (qpodtest, made
#             if absent, as test/rootless.bats does) from its own cache (the
#             mapped-xattr share), against root's, both through runuser,
#             interleaved; and the ratio (issue 12: within 5%)
#   unpack    cold unpack vs GNU tar, warm re-run (test/packer/bench-unpack.sh)
#   arm64     ./run busybox.tar true on the arm64 guest (make image ARCH=arm64;
#             TCG on an x86_64 host), restored and cold, in the same rounds as
#             the host's; the ratios (issue 27's goals: restored within 1.5x,
#             cold within 2x); its kernel (Image) and qemu's peak RSS
#
# Installs what it needs (test/bench/packages); downloads the two Debian
# kernel packages once into $QPOD_BUILD_CACHE/bench. BENCH_UNPACK=0 leaves
# out the unpack rows (the slowest part).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${QPOD_OUT:-$PWD/out}
export QPOD_OUT=$OUT
QPOD=$OUT/bin/qpod
IMAGES=$OUT/images
RUNS=${BENCH_RUNS:-15}
[ "$RUNS" -ge 10 ] || RUNS=10
STOCK_RUNS=${BENCH_STOCK_RUNS:-10}
work=$(mktemp -d)
regpid=
uwork=
trap '[ -z "$regpid" ] || kill "$regpid" 2>/dev/null; rm -rf "$work" ${uwork:+"$uwork"}' EXIT
export QPOD_CACHE=$work/cache
# helpers.bash finds the repo from the bats test file; this script is one.
BATS_TEST_FILENAME=$PWD/test/bench.sh
# shellcheck source=test/helpers.bash
source test/helpers.bash

toolchain/deps.sh test/bench/packages

# row LABEL QPOD [STOCK]: one line of the table
row() { printf '%-50s %-22s %s\n' "$1" "$2" "${3:-}"; }

# stats FILE: "median min max" of one number per line
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'
}

# Variants are functions v_NAME ARGS... that run one ./run with the extra
# ARGS (--result FILE). rounds N NAME[:MAX]...: N rounds, each running every
# variant once in the order given (A B C A B C ...), so the machine's load
# moves all of them alike; a variant with :MAX runs in the first MAX rounds
# only. Wall times (ms) go to $work/NAME.wall, --result JSONs to
# $work/NAME.I.json. One warm-up run each first. A function after_NAME, if
# there is one, runs after each timed run of NAME, untimed. A failing run is kept (the
# cloud kernel fails at STARTPOD); its phases up to the failure still count.
rounds() {
	local n=$1 v i t0 t1
	shift
	for v in "$@"; do
		"v_${v%%:*}" --result "$work/warmup.json" > /dev/null 2>&1 || true
		: > "$work/${v%%:*}.wall"
	done
	for i in $(seq "$n"); do
		for v in "$@"; do
			[[ "$v" != *:* ]] || [ "$i" -le "${v#*:}" ] || continue
			t0=$EPOCHREALTIME
			"v_${v%%:*}" --result "$work/${v%%:*}.$i.json" > /dev/null 2>&1 || true
			t1=$EPOCHREALTIME
			awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/${v%%:*}.wall"
			! declare -F "after_${v%%:*}" > /dev/null || "after_${v%%:*}"
		done
	done
}

# field NAME JQ: median of a --result field over the runs, or -
field() {
	local name=$1 expr=$2 f
	for f in "$work/$name".*.json; do jq -r "$expr // empty" "$f"; done > "$work/field"
	stats "$work/field" | cut -d' ' -f1
}
us2ms() { [ "$1" = - ] && echo - || echo $(($1 / 1000)); }
kb2mib() { [ "$1" = - ] && echo - || echo $(($1 / 1024)); }
wall() { local m lo hi; read -r m lo hi < <(stats "$work/$1.wall"); echo "$m ($lo-$hi)"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "qpod bench: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
	"$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
accel() {
	if [ -e /sys/module/kvm_pvm ]; then echo "TCG (/dev/kvm is PVM)"
	elif [ -e /dev/kvm ]; then echo "auto (KVM)"
	else echo TCG; fi
}
echo "host: $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release), Linux $(uname -r);" \
	"$(qemu-system-x86_64 --version | head -1); accel $(accel)"
echo "building the baseline images (Debian's kernels, downloaded once)..." >&2
mods=(virtio_pci virtio_console virtio_net 9pnet_virtio 9p overlay)
stock=$(test/bench/stock.sh linux-image-amd64 "$IMAGES" "$work/stock" "${mods[@]}")
cloud=$(test/bench/stock.sh linux-image-cloud-amd64 "$IMAGES" "$work/cloud" virtio_pci virtio_console virtio_net)
echo "qpod: Linux $(jq -r .kernel "$IMAGES/manifest.json") (vmlinux-up, PVH) + qboot;" \
	"baseline: Debian's $stock + SeaBIOS, virtio, virtio_net, 9p and overlay as its modules"
echo "wall times in ms: median (min-max) of $RUNS runs, baseline of $STOCK_RUNS; phases: medians"
echo

mk_bbroot "$work/root"
app=$work/app.qpod
t0=$EPOCHREALTIME
"$QPOD" bundle "$IMAGES/busybox.tar" -o "$app" > /dev/null
t1=$EPOCHREALTIME
bundle_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
base=${BENCH_BASE:-}
v_tar() { ./run "$@" "$IMAGES/busybox.tar" true; }
v_cold() { ./run --no-snapshot "$@" "$IMAGES/busybox.tar" true; }
ARM_IMAGES=$OUT/images-arm64
[ "$(uname -m)" != aarch64 ] || ARM_IMAGES=$IMAGES
[ -f "$ARM_IMAGES/busybox.tar" ] || { echo "bench: no $ARM_IMAGES/busybox.tar: run make image ARCH=arm64" >&2; exit 1; }
v_arm() { ./run "$@" "$ARM_IMAGES/busybox.tar" true; }
v_armcold() { ./run --no-snapshot "$@" "$ARM_IMAGES/busybox.tar" true; }
# The floor: the same machine and memory, nothing booted, quit at once.
v_floor() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
		qemu-system-x86_64 -S -nodefaults -no-user-config -display none -object memory-backend-memfd,id=ram,size=128M \
			-machine pc,acpi=off,memory-backend=ram,accel=tcg -m 128 -qmp stdio > /dev/null
}
v_bundle() { ./run "$@" "$app" true; }
v_base() { "$base/bin/qpod" run "$@" "$IMAGES/busybox.tar" true; }
v_basecold() { "$base/bin/qpod" run --no-snapshot "$@" "$IMAGES/busybox.tar" true; }
# BENCH_BASE's own bundle of the same image, run by its own qpod.
[ -z "$base" ] || "$base/bin/qpod" bundle "$IMAGES/busybox.tar" -o "$work/base.qpod" > /dev/null
v_basebundle() { "$base/bin/qpod" run "$@" "$work/base.qpod" true; }
v_none() { ./run --network none "$@" "$IMAGES/busybox.tar" true; }
v_dir() { ./run "$@" "$work/root" true; }
v_first() { ./run "$@" "$IMAGES/busybox.tar" echo x; }
# The baselines boot cold: the stock kernels' boot is what they measure.
v_stock() { QPOD_IMAGES=$work/stock ./run --no-snapshot "$@" "$IMAGES/busybox.tar" true; }
v_cloud() { QPOD_IMAGES=$work/cloud ./run --no-snapshot "$@" "$IMAGES/busybox.tar" true; }
# A loopback registry holding busybox.tar, and the same image as an OCI layout.
regport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$work/registry" "$regport" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
regpid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$regport/v2/" > /dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "docker-archive:$IMAGES/busybox.tar" "docker://127.0.0.1:$regport/qpod/busybox:1"
skopeo copy -q "docker-archive:$IMAGES/busybox.tar" "oci:$work/layout:latest"
REF=127.0.0.1:$regport/qpod/busybox:1
"$OUT/bin/qpod" pull -q --tls-verify=false "$REF" > /dev/null
v_ref() { ./run "$@" "$REF" true; }
v_layout() { ./run "$@" "$work/layout" true; }
# Appliance mode: qpod exec into a running VM, and run -d until the
# command runs (its rm -f is not timed), in the same rounds as a cold run.
export QPOD_STATE=$work/state
./qpod run -d --name bench-exec "$work/root" sleep 100000 > /dev/null
v_exec() { ./qpod exec bench-exec true; }
v_detach() {
	local id
	id=$(./qpod run -d "$work/root" sleep 100000) || return 1
	echo "$id" >> "$work/detached"
}
# Each detached VM goes before the next round: idle VMs left running would
# load the machine under every later variant.
after_detach() {
	./qpod rm -f $(cat "$work/detached" 2>/dev/null) > /dev/null 2>&1 || true
	: > "$work/detached"
}
rounds "$RUNS" tar cold arm armcold floor bundle ${base:+base basecold basebundle} none dir first ref layout exec detach "stock:$STOCK_RUNS" "cloud:$STOCK_RUNS"
# An idle VM's CPU: bench-exec's qemu and monitor over 5 s, % of one core.
cputicks() { local p; for p in "$@"; do cat "/proc/$p/stat"; done | awk '{ s += $14 + $15 } END { print s }'; }
idle_pids=$(./qpod inspect -f '{{.Qpod.QemuPid}} {{.Qpod.MonitorPid}}' bench-exec)
# shellcheck disable=SC2086
i0=$(cputicks $idle_pids)
sleep 5
# shellcheck disable=SC2086
idle_cpu=$(awk -v a="$i0" -v b="$(cputicks $idle_pids)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) * 100 / hz / 5 }')
./qpod rm -f bench-exec > /dev/null 2>&1 || true

row "" "qpod" "Debian stock kernel"
# A baseline that did not run the command measures nothing: say so.
bad=$(for f in "$work"/stock.*.json; do jq -r 'select(.status != 0) | .error // "no status"' "$f"; done)
[ -z "$bad" ] || echo "bench: the baseline failed $(grep -c . <<<"$bad") of $STOCK_RUNS runs: $(head -n 1 <<<"$bad")" >&2
row "./run busybox.tar true (wall)" "$(wall tar)" "$(wall stock)${bad:+ FAILED}"
read -r q _ < <(stats "$work/tar.wall")
read -r s _ < <(stats "$work/stock.wall")
row "  baseline / qpod (medians)" "" "$(awk -v q="$q" -v s="$s" 'BEGIN { printf "%.1fx", s / q }')"
read -r c _ < <(stats "$work/cold.wall")
read -r f _ < <(stats "$work/floor.wall")
row "./run --no-snapshot busybox.tar true: cold (wall)" "$(wall cold)"
row "qemu -S, same machine, quit over QMP: floor (wall)" "$(wall floor)"
row "  fast path / cold boot (medians)" "$(awk -v q="$q" -v c="$c" 'BEGIN { printf "%.2f", q / c }')"
row "  fast path / floor (medians)" "$(awk -v q="$q" -v f="$f" 'BEGIN { printf "%.1fx", q / f }')"
row "  fast path: state restored, guest resumed (ms)" \
	"$(us2ms "$(field tar .timingsUs.restored)"), $(us2ms "$(field tar .timingsUs.ready)")"
read -r nn _ < <(stats "$work/none.wall")
row "./run --network none busybox.tar true (wall)" "$(wall none)"
read -r d _ < <(stats "$work/dir.wall")
read -r x _ < <(stats "$work/exec.wall")
read -r dd _ < <(stats "$work/detach.wall")
row "qpod exec NAME true, a running VM (wall)" "$(wall exec)"
row "  exec / ./run ROOTDIR true (medians)" "$(ratio "$x" "$d")"
row "qpod run -d ROOTDIR: until the command runs (wall)" "$(wall detach)"
row "  run -d / ./run ROOTDIR true (medians)" "$(ratio "$dd" "$d")"
row "  an idle VM's CPU, qemu and monitor (% of a core)" "$idle_cpu"
row "  the default network's cost (median difference)" "$(awk -v q="$q" -v n="$nn" 'BEGIN { printf "%+.0f ms", q - n }')"
for p in kernelEntered:"kernel entered" ready:"hyperstart ready" started:"command started" \
	exited:"command exited" vmGone:"VM gone"; do
	row "  phase: ${p#*:} (ms after qemu start)" "$(us2ms "$(field tar ".timingsUs.${p%%:*}")")" \
		"$(us2ms "$(field stock ".timingsUs.${p%%:*}")")"
done
row "qemu peak RSS (MiB)" "$(kb2mib "$(field tar .qemuMaxRssKb)")" "$(kb2mib "$(field stock .qemuMaxRssKb)")"
row "  cold boot (--no-snapshot)" "$(kb2mib "$(field cold .qemuMaxRssKb)")"
# pss8 FLAG...: the PSS (MiB) of 8 VMs alive at once, each running sleep.
pss8() {
	local pids=() q=() p i
	for i in $(seq 8); do ./run "$@" "$work/root" sleep 4 > /dev/null 2>&1 & pids+=($!); done
	for _ in $(seq 200); do # until every run's qemu runs its command
		q=()
		for p in "${pids[@]}"; do q+=($(pgrep -P "$p" -x qemu-system-x86 || true)); done
		[ "${#q[@]}" -eq 8 ] && break
		sleep 0.05
	done
	sleep 2
	for p in "${q[@]}"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
	wait "${pids[@]}" || true
}
row "PSS of 8 concurrent VMs (MiB): fast path, cold" "$(pss8), $(pss8 --no-snapshot)"
row "first output byte, ./run busybox.tar echo x" "$(us2ms "$(field first .timingsUs.firstOutput)")"
row "./run ROOTDIR true (wall)" "$(wall dir)"
read -r rq _ < <(stats "$work/ref.wall")
row "./run REGISTRY/NAME:TAG true, cached (wall)" "$(wall ref)"
row "  cached reference / busybox.tar (medians)" "$(awk -v q="$q" -v r="$rq" 'BEGIN { printf "%.2fx", r / q }')"
row "./run OCI-LAYOUT-DIR true (wall)" "$(wall layout)"
# The packer alone, warm: qpod-pack on each kind of IMAGE, interleaved.
for i in $(seq 50); do
	for k in tar ref layout; do
		case $k in tar) img=$IMAGES/busybox.tar ;; ref) img=$REF ;; layout) img=$work/layout ;; esac
		t0=$EPOCHREALTIME
		"$OUT/obj/packer/qpod-pack" --no-progress "$img" > /dev/null
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }' >> "$work/pack-$k.wall"
	done
done
pk() { sort -n "$work/pack-$1.wall" | awk '{ v[NR] = $1 } END { printf "%.1f ms", v[int((NR + 1) / 2)] }'; }
row "qpod-pack warm: busybox.tar / cached ref / layout" "$(pk tar) / $(pk ref) / $(pk layout)"
row "./run APP.qpod true (wall; squashfs disk)" "$(wall bundle)"
read -r b _ < <(stats "$work/bundle.wall")
row "  bundle - busybox.tar (median difference)" "$(awk -v q="$q" -v b="$b" 'BEGIN { printf "%+.0f ms", b - q }')"
if [ -n "$base" ]; then
	# BENCH_BASE's build in the same rounds: e.g. the tree before a change
	# (the jail's cost: a build without it; issue 25's goal, within 5% or 10 ms)
	diff_row() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.0f ms (%+.1f%%)", a - b, (a - b) * 100 / b }'; }
	row "./run busybox.tar true, BENCH_BASE's build (wall)" "$(wall base)"
	read -r bb _ < <(stats "$work/base.wall")
	row "  this build - BENCH_BASE, restored (median difference)" "$(diff_row "$q" "$bb")"
	row "./run --no-snapshot busybox.tar true, BENCH_BASE's build" "$(wall basecold)"
	read -r bc _ < <(stats "$work/basecold.wall")
	row "  this build - BENCH_BASE, cold (median difference)" "$(diff_row "$c" "$bc")"
	row "./run APP.qpod true, BENCH_BASE's build and bundle" "$(wall basebundle)"
	read -r bu _ < <(stats "$work/basebundle.wall")
	row "  this build - BENCH_BASE, bundle (median difference)" "$(diff_row "$b" "$bu")"
fi
read -r ar _ < <(stats "$work/arm.wall")
read -r ac _ < <(stats "$work/armcold.wall")
row "arm64: ./run busybox.tar true (wall)" "$(wall arm)"
row "  arm64 / $(uname -m), restored (medians; goal 1.5)" "$(ratio "$ar" "$q")"
row "arm64: ./run --no-snapshot busybox.tar true (wall)" "$(wall armcold)"
row "  arm64 / $(uname -m), cold (medians; goal 2)" "$(ratio "$ac" "$c")"
row "arm64: qemu peak RSS, restored, cold (MiB)" "$(kb2mib "$(field arm .qemuMaxRssKb)"), $(kb2mib "$(field armcold .qemuMaxRssKb)")"
row "arm64: kernel booted (bytes)" "$(stat -c %s "$ARM_IMAGES/Image") Image"
row "cloud kernel: qemu start to hyperstart READY" "" \
	"$(us2ms "$(field cloud .timingsUs.ready)") (${cloud%% *}, no 9p)"
row "kernel booted (bytes)" "$(stat -c %s "$IMAGES/vmlinux-up") vmlinux-up" \
	"$(stat -c %s "$work/stock/vmlinuz") vmlinuz"
row "  vmlinux (--cpus > 1), vmlinuz (bzImage)" "$(stat -c %s "$IMAGES/vmlinux"), $(stat -c %s "$IMAGES/vmlinuz")"
row "initrd (bytes)" "$(stat -c %s "$IMAGES/initrd.img")" "$(stat -c %s "$work/stock/initrd.img") (modules)"

# Throughput: bytes over the time from the command's start to its exit event.
mb=200
"$QPOD" run --result "$work/out.json" "$work/root" dd if=/dev/zero bs=1M count=$mb 2>/dev/null | wc -c > "$work/outbytes"
us=$(jq '.timingsUs.exited - .timingsUs.started' "$work/out.json")
row "stdout throughput, guest to host (MB/s)" "$(awk -v b="$(cat "$work/outbytes")" -v us="$us" 'BEGIN { printf "%.0f", b / us }')"
head -c $((mb * 1048576)) /dev/zero | "$QPOD" run -i --result "$work/in.json" "$work/root" sh -c 'cat > /dev/null'
us=$(jq '.timingsUs.exited - .timingsUs.started' "$work/in.json")
row "stdin throughput, host to guest (MB/s)" "$(awk -v b=$((mb * 1048576)) -v us="$us" 'BEGIN { printf "%.0f", b / us }')"

# Bundles: build, size, verify, re-check; exec- and metadata-heavy commands.
row "qpod bundle busybox.tar (ms, cold cache)" "$bundle_ms"
row "  bundle size (bytes): all, rootfs squashfs" "$(stat -c %s "$app"), $("$QPOD" inspect "$app" | jq '.parts[] | select(.part=="rootfs") | .size')"
: > "$work/verify.wall"
: > "$work/inspect.wall"
: > "$work/version.wall"
for i in $(seq "$RUNS"); do
	t0=$EPOCHREALTIME; "$QPOD" verify "$app" > /dev/null; t1=$EPOCHREALTIME
	"$QPOD" inspect "$app" > /dev/null; t2=$EPOCHREALTIME
	"$QPOD" --version > /dev/null; t3=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/verify.wall"
	awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/inspect.wall"
	awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/version.wall"
done
read -r vm _ < <(stats "$work/verify.wall")
row "qpod verify APP.qpod (ms; hash rate MB/s)" "$(wall verify)" \
	"$(awk -v s="$(stat -c %s "$app")" -v ms="$vm" 'BEGIN { printf "%.0f MB/s", s / ms / 1000 }')"
row "re-check of a verified bundle: qpod inspect (ms)" "$(wall inspect)"
read -r im _ < <(stats "$work/inspect.wall")
read -r pm _ < <(stats "$work/version.wall")
row "  qpod --version (process start), and the difference" "$(wall version)" \
	"$(awk -v a="$im" -v b="$pm" 'BEGIN { printf "%+.1f ms", a - b }')"
heavy_exec='for i in $(seq 200); do /bin/true; done'
v_exec_disk() { ./run "$@" "$app" sh -c "$heavy_exec"; }
v_exec_9p() { ./run "$@" "$work/root" sh -c "$heavy_exec"; }
v_find_disk() { ./run "$@" "$app" sh -c 'find / -xdev | wc -l'; }
v_find_9p() { ./run "$@" "$work/root" sh -c 'find / -xdev | wc -l'; }
v_exec_basedisk() { "$base/bin/qpod" run "$@" "$work/base.qpod" sh -c "$heavy_exec"; }
v_find_basedisk() { "$base/bin/qpod" run "$@" "$work/base.qpod" sh -c 'find / -xdev | wc -l'; }
rounds "$RUNS" exec_disk exec_9p find_disk find_9p ${base:+exec_basedisk find_basedisk}
cmd_ms() { us2ms "$(field "$1" '.timingsUs.exited - .timingsUs.started')"; }
row "200 x /bin/true, command time (ms): disk, 9p" "$(cmd_ms exec_disk), $(cmd_ms exec_9p)"
row "find / -xdev | wc -l, command time (ms): disk, 9p" "$(cmd_ms find_disk), $(cmd_ms find_9p)"
if [ -n "$base" ]; then
	# the disk of BENCH_BASE's bundle (before dm-verity: issue 26's cost)
	row "  the same on BENCH_BASE's bundle's disk (ms): 200 x true, find" "$(cmd_ms exec_basedisk), $(cmd_ms find_basedisk)"
fi

# Rootless against root: the same image and command, each from its own
# cache, both started through runuser with a clean environment so that both
# pay for it. (rounds passes --result FILE first: not used here.)
if [ "$(id -u)" = 0 ]; then
	id -u qpodtest > /dev/null 2>&1 || useradd -m qpodtest
	uwork=$(mktemp -d /var/tmp/qpod-bench-user.XXXXXX)
	cp "$IMAGES/busybox.tar" "$uwork/"
	chown -R qpodtest: "$uwork"
	v_asroot() {
		shift 2
		runuser -u root -- env -i PATH=/usr/bin:/bin HOME="$work" QPOD_CACHE="$work/rootcache" \
			"$QPOD" run "$uwork/busybox.tar" true
	}
	v_asuser() {
		shift 2
		runuser -u qpodtest -- env -i PATH=/usr/bin:/bin HOME="$uwork" QPOD_CACHE="$uwork/cache" \
			"$QPOD" run "$uwork/busybox.tar" true
	}
	rounds "$RUNS" asroot asuser
	read -r ra _ < <(stats "$work/asroot.wall")
	read -r ua _ < <(stats "$work/asuser.wall")
	row "./run busybox.tar true as root, via runuser (wall)" "$(wall asroot)"
	row "  the same as a user: mapped-xattr share (wall)" "$(wall asuser)"
	row "  user / root (medians)" "$(awk -v u="$ua" -v r="$ra" 'BEGIN { printf "%.3f", u / r }')"
fi

if [ -x test/packer/bench-unpack.sh ] && [ "${BENCH_UNPACK:-1}" != 0 ]; then
	test/packer/bench-unpack.sh | while read -r k v; do row "unpack: $k" "$v"; done
fi
