#!/bin/bash
# bench.sh: qpod's numbers, all measured in this run on this machine, as one
# table. Timings come from the runner's own --result (monotonic clock) and
# wall clock around ./run; medians of BENCH_RUNS runs (default 15).
#
#   boot      ./run busybox.tar true and ./run ROOTDIR true: median, min, max
#   phases    median of each phase (--result timings)
#   memory    qemu's peak RSS
#   streams   stdout (guest to host) and stdin (host to guest) throughput
#   sizes     vmlinuz, initrd.img
#   unpack    cold unpack vs GNU tar, warm re-run (test/packer/bench-unpack.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${QPOD_OUT:-$PWD/out}
QPOD=$OUT/bin/qpod
IMAGES=$OUT/images
RUNS=${BENCH_RUNS:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QPOD_CACHE=$work/cache
source test/helpers.bash

row() { printf '%-44s %s\n' "$1" "$2"; }

# stats FILE: "median min max" of one number per line
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f %.0f %.0f", m, v[1], v[NR] }'
}

ms_now() { date +%s%N | cut -c1-13; }

# runs NAME ARGS...: RUNS wall times (ms) in $work/NAME.wall, --result JSONs in $work/NAME.N.json
runs() {
	local name=$1 i t0
	shift
	"$QPOD" "$@" > /dev/null 2>&1 || true # warm-up (cache, page cache)
	: > "$work/$name.wall"
	for i in $(seq "$RUNS"); do
		t0=$(ms_now)
		"$QPOD" --result "$work/$name.$i.json" "$@" > /dev/null
		echo $(($(ms_now) - t0)) >> "$work/$name.wall"
	done
}

# field NAME JQ: median of a --result field over the runs
field() {
	local name=$1 expr=$2
	for f in "$work/$name".*.json; do jq -r "$expr // empty" "$f"; done > "$work/field"
	[ -s "$work/field" ] && stats "$work/field" | cut -d' ' -f1 || echo -
}

echo "qpod bench: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "host $(uname -r); $(qemu-system-x86_64 --version | head -1); accel: $("$QPOD" --help >/dev/null; [ -e /sys/module/kvm_pvm ] && echo 'tcg (kvm is PVM)' || echo auto)"
echo "runs per number: $RUNS (median, min, max in ms)"
echo

mk_bbroot "$work/root"
runs tar "$IMAGES/busybox.tar" true
runs dir "$work/root" true
read -r m lo hi < <(stats "$work/tar.wall")
row "./run busybox.tar true (wall)" "median $m  min $lo  max $hi"
read -r m lo hi < <(stats "$work/dir.wall")
row "./run ROOTDIR true (wall)" "median $m  min $lo  max $hi"
for phase in kernelEntered ready started exited vmGone; do
	v=$(field tar ".timingsUs.$phase")
	row "  phase: $phase (ms after qemu start)" "$([ "$v" = - ] && echo - || echo $((v / 1000)))"
done
rss=$(field tar .qemuMaxRssKb)
row "qemu peak RSS (MiB)" "$([ "$rss" = - ] && echo - || echo $((rss / 1024)))"

runs first "$IMAGES/busybox.tar" echo x
v=$(field first .timingsUs.firstOutput)
row "first output byte (ms after qemu start)" "$((v / 1000))"

# Throughput: bytes over the time from the command's start to its exit event.
mb=200
"$QPOD" --result "$work/out.json" "$work/root" dd if=/dev/zero bs=1M count=$mb 2>/dev/null | wc -c > "$work/outbytes"
us=$(jq '.timingsUs.exited - .timingsUs.started' "$work/out.json")
row "stdout throughput, guest to host (MB/s)" "$(awk -v b="$(cat "$work/outbytes")" -v us="$us" 'BEGIN { printf "%.0f", b / us }')"
head -c $((mb * 1048576)) /dev/zero | "$QPOD" -i --result "$work/in.json" "$work/root" sh -c 'cat > /dev/null'
us=$(jq '.timingsUs.exited - .timingsUs.started' "$work/in.json")
row "stdin throughput, host to guest (MB/s)" "$(awk -v b=$((mb * 1048576)) -v us="$us" 'BEGIN { printf "%.0f", b / us }')"

row "vmlinuz (bytes)" "$(stat -c %s "$IMAGES/vmlinuz")"
row "initrd.img (bytes)" "$(stat -c %s "$IMAGES/initrd.img")"

if [ -x test/packer/bench-unpack.sh ]; then
	echo
	test/packer/bench-unpack.sh | while read -r k v; do row "unpack: $k" "$v"; done
fi
