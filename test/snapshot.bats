#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# snapshot.bats: VM templates (runner/vm/template.c): the first run of a kind
# of VM boots cold and saves one, later runs restore it; every restored VM
# is a new machine (its own RNG, the host's clock); a template that is
# changed, broken or not private costs a cold boot, never a failed run.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
}

setup() {
	need_images
	cd "$REPO"
	export QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	unset QPOD_NO_SNAPSHOT
}

teardown() {
	rm_all_vms
}

# templates: the template directories of $QPOD_CACHE, one per line
templates() {
	find "$QPOD_CACHE/templates" -mindepth 1 -maxdepth 1 -type d -regextype egrep \
		-regex '.*/[0-9a-f]{64}' -printf '%f\n' 2>/dev/null
}

# boot FILE: "boot snapshot" of a --result file
boot() {
	jq -r '.boot + " " + .snapshot' "$1"
}

@test "the first run boots cold and saves a template; the next restores it" {
	run ./run --result "$BATS_TEST_TMPDIR/1.json" "$ROOT" echo one
	[ "$status" -eq 0 ]
	[ "$output" = one ]
	[ "$(boot "$BATS_TEST_TMPDIR/1.json")" = "cold cold; template saved" ]
	run ./run --result "$BATS_TEST_TMPDIR/2.json" "$ROOT" echo two
	[ "$status" -eq 0 ]
	[ "$output" = two ]
	[ "$(boot "$BATS_TEST_TMPDIR/2.json")" = "restore restored" ]
	[ "$(templates | wc -l)" -eq 1 ]
	# The restore's phases replace the kernel's.
	[ "$(jq '.timingsUs.kernelEntered' "$BATS_TEST_TMPDIR/2.json")" = null ]
	[ "$(jq '.timingsUs.restored > 0' "$BATS_TEST_TMPDIR/2.json")" = true ]
	run ./run --timings "$ROOT" true
	[[ "$output" == *"qpod boot: restore (restored)"* ]]
	[[ "$output" == *"state restored"* ]]
}

@test "templates are private: templates/ and each template 0700, files 0600" {
	./run "$ROOT" true
	[ "$(stat -c %a "$QPOD_CACHE/templates")" = 700 ]
	t=$(templates)
	[ "$(stat -c %a "$QPOD_CACHE/templates/$t")" = 700 ]
	[ "$(stat -c %a "$QPOD_CACHE/templates/$t/ram")" = 600 ]
	[ "$(stat -c %a "$QPOD_CACHE/templates/$t/state")" = 600 ]
}

@test "a templates/ directory that others may read is not used: cold boot, the run works" {
	mkdir -p "$QPOD_CACHE/templates"
	chmod 755 "$QPOD_CACHE/templates"
	run ./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[[ "$(boot "$BATS_TEST_TMPDIR/r.json")" == "cold cold: no template: "*"not a private directory"* ]]
	[ -z "$(templates)" ]
}

@test "--no-snapshot and QPOD_NO_SNAPSHOT=1 boot cold and save nothing" {
	run ./run --no-snapshot --result "$BATS_TEST_TMPDIR/a.json" "$ROOT" echo a
	[ "$output" = a ]
	[ "$(boot "$BATS_TEST_TMPDIR/a.json")" = "cold off: --no-snapshot" ]
	QPOD_NO_SNAPSHOT=1 run ./run --result "$BATS_TEST_TMPDIR/b.json" "$ROOT" echo b
	[ "$output" = b ]
	[ "$(boot "$BATS_TEST_TMPDIR/b.json")" = "cold off: QPOD_NO_SNAPSHOT" ]
	[ -z "$(templates)" ]
	./run "$ROOT" true
	./run --no-snapshot --result "$BATS_TEST_TMPDIR/c.json" "$ROOT" true
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/c.json")" = cold ]
}

@test "--boot cbfs boots cold, as --help says" {
	run ./run --boot cbfs --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" echo ok
	[ "$output" = ok ]
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "cold off: --boot cbfs boots cold" ]
	run ./run --help
	[[ "$output" == *"--no-snapshot"*"KVM and --boot cbfs always"* ]]
}

@test "10 restored runs read 10 different /dev/urandom bytes" {
	./run "$ROOT" true
	for i in $(seq 10); do
		./run --result "$BATS_TEST_TMPDIR/$i.json" "$ROOT" sh -c 'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"; echo' \
			>> "$BATS_TEST_TMPDIR/rand"
		[ "$(jq -r .boot "$BATS_TEST_TMPDIR/$i.json")" = restore ]
	done
	[ "$(wc -l < "$BATS_TEST_TMPDIR/rand")" -eq 10 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/rand" | wc -l)" -eq 10 ]
	[ "$(grep -c -E '^[0-9a-f]{64}$' "$BATS_TEST_TMPDIR/rand")" -eq 10 ]
}

@test "a restored VM's clock is the host's within 50 ms, however old the template" {
	./run "$ROOT" true
	sleep 2 # the template's own clock stopped at its save
	# For each line the host sends (stamped when sent, and when the answer
	# arrives) the guest prints its CLOCK_REALTIME; the first one warms the
	# path. The guest's clock must lie between the two stamps, give or take
	# 50 ms: a stale clock would be seconds off, a late one tens of ms.
	python3 - "$ROOT" "$BATS_TEST_TMPDIR/r.json" <<-'EOF'
	import subprocess, sys, time
	p = subprocess.Popen(["./run", "-i", "--result", sys.argv[2], sys.argv[1], "sh", "-c",
	                      "while read x; do adjtimex | grep time.tv_; done"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	def ask():
	    sent = time.time()
	    p.stdin.write("now\n"); p.stdin.flush()
	    sec = int(p.stdout.readline().split()[-1])
	    usec = int(p.stdout.readline().split()[-1])
	    return sent, sec + usec / 1e6, time.time()
	ask()
	sent, guest, back = ask()
	p.stdin.close(); p.wait()
	print(f"sent {sent:.6f} guest {guest:.6f} answer {back:.6f}")
	sys.exit(0 if sent - 0.05 <= guest <= back + 0.05 else 1)
	EOF
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
}

@test "a template saved on a busy host keeps time with the TSC, at the rate the host measured once" {
	# Two cold boots beside the one that saves the template: under such load
	# the guest's own calibration against the emulated PIT mostly fails.
	./run --no-snapshot "$ROOT" true &
	a=$!
	./run --no-snapshot "$ROOT" true &
	b=$!
	./run "$ROOT" true
	wait "$a"
	wait "$b"
	run ./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" sh -c \
		'cat /sys/devices/system/clocksource/clocksource0/current_clocksource /proc/cmdline'
	[ "$status" -eq 0 ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
	[[ "${lines[0]}" == tsc* ]]
	khz=$(cat "$QPOD_CACHE/templates/tsc.$(cat /proc/sys/kernel/random/boot_id)")
	[ "$khz" -gt 100000 ]
	[[ "${lines[1]}" == *" tsc_early_khz=$khz "* ]]
}

@test "a restored VM's clock runs at the host's rate" {
	./run "$ROOT" true
	# The guest's CLOCK_REALTIME read twice, 3 s apart by the host's clock,
	# each stamped with the midpoint of its round trip: the two spans agree
	# within 30 ms and the round trips (a wrong TSC rate is off by its error).
	python3 - "$ROOT" "$BATS_TEST_TMPDIR/r.json" <<-'EOF'
	import subprocess, sys, time
	p = subprocess.Popen(["./run", "-i", "--result", sys.argv[2], sys.argv[1], "sh", "-c",
	                      "while read x; do adjtimex | grep time.tv_; done"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	def ask():
	    sent = time.time()
	    p.stdin.write("now\n"); p.stdin.flush()
	    sec = int(p.stdout.readline().split()[-1])
	    usec = int(p.stdout.readline().split()[-1])
	    back = time.time()
	    return (sent + back) / 2, sec + usec / 1e6, back - sent
	ask()
	h1, g1, rtt1 = ask()
	time.sleep(3)
	h2, g2, rtt2 = ask()
	p.stdin.close(); p.wait()
	print(f"host span {h2 - h1:.6f} guest span {g2 - g1:.6f} round trips {rtt1:.6f} {rtt2:.6f}")
	sys.exit(0 if abs((g2 - g1) - (h2 - h1)) <= 0.03 + (rtt1 + rtt2) / 2 else 1)
	EOF
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
}

@test "another memory size, a changed kernel: another template each; a copy of the kernel: the same" {
	./run "$ROOT" true
	run ./run -m 256m --result "$BATS_TEST_TMPDIR/m1.json" "$ROOT" sh -c 'grep MemTotal /proc/meminfo'
	[ "$(boot "$BATS_TEST_TMPDIR/m1.json")" = "cold cold; template saved" ]
	run ./run -m 256m --result "$BATS_TEST_TMPDIR/m2.json" "$ROOT" sh -c 'grep MemTotal /proc/meminfo'
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/m2.json")" = restore ]
	kb=$(echo "$output" | awk '{ print $2 }')
	[ "$kb" -gt 200000 ]
	[ "$(templates | wc -l)" -eq 2 ]
	# A copy of the default kernel: the same bytes, the same template
	# (qemu reads every kernel at the same path of its jail).
	cp "$IMAGES/vmlinux-up" "$BATS_TEST_TMPDIR/kernel"
	./run --kernel "$BATS_TEST_TMPDIR/kernel" --result "$BATS_TEST_TMPDIR/k1.json" "$ROOT" true
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/k1.json")" = restore ]
	# The same path with other bytes (a trailing byte the ELF loader ignores).
	printf 'x' >> "$BATS_TEST_TMPDIR/kernel"
	./run --kernel "$BATS_TEST_TMPDIR/kernel" --result "$BATS_TEST_TMPDIR/k2.json" "$ROOT" true
	[ "$(boot "$BATS_TEST_TMPDIR/k2.json")" = "cold cold; template saved" ]
	./run --kernel "$BATS_TEST_TMPDIR/kernel" --result "$BATS_TEST_TMPDIR/k3.json" "$ROOT" true
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/k3.json")" = restore ]
	[ "$(templates | wc -l)" -eq 3 ]
	./run --result "$BATS_TEST_TMPDIR/d.json" "$ROOT" true
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/d.json")" = restore ]
}

@test "a truncated, garbage or not private template boots cold, the run succeeds, and a new one is saved" {
	./run "$ROOT" true
	for damage in "truncate -s 1000 state" "head -c 100000 /dev/urandom > state" "truncate -s 1m ram" \
		"dd if=/dev/urandom of=ram bs=1M count=128 conv=notrunc status=none" "echo other > key" "rm state" \
		"chmod 750 ."; do
		t=$(templates)
		(cd "$QPOD_CACHE/templates/$t" && eval "$damage")
		run ./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" echo ok
		[ "$status" -eq 0 ] || { echo "$damage: status $status: $output"; return 1; }
		[ "$output" = ok ]
		[[ "$(boot "$BATS_TEST_TMPDIR/r.json")" == "cold cold: template removed: "*"; template saved" ]] ||
			{ echo "$damage: $(boot "$BATS_TEST_TMPDIR/r.json")"; return 1; }
		./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" true
		[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ] || { echo "$damage: not restored after"; return 1; }
		[ "$(templates | wc -l)" -eq 1 ]
	done
}

@test "8 concurrent first runs make one template, and all 8 succeed" {
	for i in $(seq 8); do
		./run --result "$BATS_TEST_TMPDIR/$i.json" "$ROOT" echo "run $i" > "$BATS_TEST_TMPDIR/$i.out" 2>&1 &
	done
	wait
	for i in $(seq 8); do
		[ "$(cat "$BATS_TEST_TMPDIR/$i.out")" = "run $i" ] || { echo "run $i: $(cat "$BATS_TEST_TMPDIR/$i.out")"; return 1; }
	done
	[ "$(templates | wc -l)" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/*.json | jq -r .snapshot | grep -c 'template saved')" -eq 1 ]
}

@test "volumes and published ports on the fast path: the run's own, not the template's" {
	mkdir -p "$BATS_TEST_TMPDIR/v1" "$BATS_TEST_TMPDIR/v2"
	echo first > "$BATS_TEST_TMPDIR/v1/f"
	echo second > "$BATS_TEST_TMPDIR/v2/f"
	./run -v "$BATS_TEST_TMPDIR/v1:/data" "$ROOT" cat /data/f
	run ./run -v "$BATS_TEST_TMPDIR/v2:/data" --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" cat /data/f
	[ "$output" = second ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
	run ./run -v "$BATS_TEST_TMPDIR/v2:/data:ro" --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" sh -c 'echo x > /data/g'
	[ "$status" -ne 0 ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
	[ ! -e "$BATS_TEST_TMPDIR/v2/g" ]
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	./run -p "127.0.0.1:$port:80" "$ROOT" true
	./run -p "127.0.0.1:$port:80" --result "$BATS_TEST_TMPDIR/p.json" "$ROOT" sh -c 'echo hello | nc -l -p 80' \
		> "$BATS_TEST_TMPDIR/served" &
	got=
	for _ in $(seq 100); do
		got=$(python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $port), 1); print(s.recv(100).decode().strip())" 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	wait
	[ "$got" = hello ]
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/p.json")" = restore ]
}

@test "qpod warm saves the template ahead; the first run restores it; warm again keeps it" {
	run ./qpod warm
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	key=$output
	[ "$(templates)" = "$key" ]
	./run --result "$BATS_TEST_TMPDIR/r.json" "$ROOT" true
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "restore restored" ]
	run ./qpod warm
	[ "$output" = "$key" ]
	run ./qpod warm -m 256m
	[ "$output" != "$key" ]
	[ "$(templates | wc -l)" -eq 2 ]
	run -125 ./qpod warm --no-snapshot
	[[ "$output" == *"no template: --no-snapshot"* ]]
}

# disk FILE: the image's root disk in $QPOD_CACHE (one per image)
disks() {
	find "$QPOD_CACHE/images" -mindepth 2 -maxdepth 2 -name 'rootfs.*.sqfs' 2>/dev/null
}

@test "an image's first run builds its root disk and saves a template with the root mounted; the next restores it" {
	run ./run --result "$BATS_TEST_TMPDIR/1.json" "$IMAGES/busybox.tar" echo one
	[ "$status" -eq 0 ]
	[ "$output" = one ]
	[ "$(boot "$BATS_TEST_TMPDIR/1.json")" = "cold cold; template saved" ]
	[ "$(jq -r .root "$BATS_TEST_TMPDIR/1.json")" = disk ]
	# One disk, named by the sha256 of its bytes, a squashfs, private like the cache.
	[ "$(disks | wc -l)" -eq 1 ]
	d=$(disks)
	name=${d##*/rootfs.}
	[ "${name%.sqfs}" = "$(sha256sum < "$d" | cut -d' ' -f1)" ]
	[ "$(head -c 4 "$d")" = hsqs ]
	[ "$(stat -c %a "$d")" = 644 ]
	run ./run --result "$BATS_TEST_TMPDIR/2.json" "$IMAGES/busybox.tar" sh -c 'echo two; ls /bin/busybox'
	[ "$output" = "two
/bin/busybox" ]
	[ "$(boot "$BATS_TEST_TMPDIR/2.json")" = "restore restored" ]
	[ "$(jq -r .root "$BATS_TEST_TMPDIR/2.json")" = disk ]
	run ./run --timings "$IMAGES/busybox.tar" true
	[[ "$output" == *"qpod boot: restore (restored), root: disk"* ]]
	# A root directory is not the image: its own template, over 9p.
	./run --result "$BATS_TEST_TMPDIR/3.json" "$ROOT" true
	[ "$(boot "$BATS_TEST_TMPDIR/3.json")" = "cold cold; template saved" ]
	[[ "$(jq -r .root "$BATS_TEST_TMPDIR/3.json")" == "9p: "* ]]
	[ "$(templates | wc -l)" -eq 2 ]
	[ "$(disks | wc -l)" -eq 1 ]
	# A run that boots cold whatever the cache holds shares the image over 9p.
	./run --no-snapshot --result "$BATS_TEST_TMPDIR/4.json" "$IMAGES/busybox.tar" true
	[ "$(jq -r .root "$BATS_TEST_TMPDIR/4.json")" = "9p: no template (off: --no-snapshot)" ]
}

@test "a restored image template gets the run's /etc: hostname, hosts, resolv.conf, and none without a network" {
	./run "$IMAGES/busybox.tar" true
	run ./run -h box1 --add-host db:192.0.2.7 --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" \
		sh -c 'cat /etc/hostname; hostname; grep -c . /etc/hosts; grep box1 /etc/hosts; grep db /etc/hosts; cat /etc/resolv.conf'
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/r.json")" = restore ]
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = box1 ]
	[ "${lines[2]}" = 4 ] # localhost, ::1, box1, db: the host's loopback is not asked for
	[ "${lines[3]}" = "10.0.2.15	box1" ]
	[ "${lines[4]}" = "192.0.2.7	db" ]
	[ "${lines[5]}" = "nameserver 10.0.2.3" ]
	run ./run -h box2 "$IMAGES/busybox.tar" sh -c 'cat /etc/hostname; ls -l /etc/hostname /etc/hosts /etc/resolv.conf | cut -c1-10'
	[ "${lines[0]}" = box2 ]
	[ "${lines[1]}" = "-rw-r--r--" ]
	[ "${lines[2]}" = "-rw-r--r--" ]
	[ "${lines[3]}" = "-rw-r--r--" ]
	# No network: the template of that kind has no resolv.conf to fill (busybox has none).
	./run --network none "$IMAGES/busybox.tar" true
	run ./run --network none --result "$BATS_TEST_TMPDIR/n.json" "$IMAGES/busybox.tar" \
		sh -c 'grep 127.0.1.1 /etc/hosts | cut -f1; ls /etc/resolv.conf 2>&1 | grep -c "No such"'
	[ "$(jq -r .boot "$BATS_TEST_TMPDIR/n.json")" = restore ]
	[ "${lines[0]}" = 127.0.1.1 ]
	[ "${lines[1]}" = 1 ]
	# --dns without a network: written through the overlay all the same.
	run ./run --network none --dns 192.0.2.53 "$IMAGES/busybox.tar" cat /etc/resolv.conf
	[ "$output" = "nameserver 192.0.2.53" ]
}

@test "an image's restored template takes the run's volumes, --tmpfs and --read-only" {
	mkdir -p "$BATS_TEST_TMPDIR/v"
	echo data > "$BATS_TEST_TMPDIR/v/f"
	./run -v "$BATS_TEST_TMPDIR/v:/data" "$IMAGES/busybox.tar" true
	run ./run -v "$BATS_TEST_TMPDIR/v:/data" --tmpfs /scratch --read-only --result "$BATS_TEST_TMPDIR/r.json" \
		"$IMAGES/busybox.tar" sh -c 'cat /data/f; echo new > /data/g; touch /scratch/x && echo scratch; touch /etc/x 2>/dev/null || echo ro'
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "restore restored" ]
	[ "$(jq -r .root "$BATS_TEST_TMPDIR/r.json")" = disk ]
	[ "${lines[0]}" = data ]
	[ "${lines[1]}" = scratch ]
	[ "${lines[2]}" = ro ]
	[ "$(cat "$BATS_TEST_TMPDIR/v/g")" = new ]
}

@test "an image template's default user is setup's answer, the files' once a volume or a process may have changed them" {
	./run "$IMAGES/busybox.tar" true
	run ./run --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" sh -c 'echo "$HOME $(id -u):$(id -g) $(id -G)"'
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "restore restored" ]
	[ "$output" = "/root 0:0 0" ]
	# A volume on /etc: its passwd and group decide.
	mkdir -p "$BATS_TEST_TMPDIR/etc"
	printf 'root:x:0:0:root:/elsewhere:/bin/sh\n' > "$BATS_TEST_TMPDIR/etc/passwd"
	printf 'root:x:0:\nops:x:42:root\n' > "$BATS_TEST_TMPDIR/etc/group"
	run ./run -v "$BATS_TEST_TMPDIR/etc:/etc" "$IMAGES/busybox.tar" sh -c 'echo "$HOME $(id -G)"'
	[ "$output" = "/elsewhere 0 42" ]
	# A process of the container's changed passwd: a later exec reads it.
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
	id=$(./qpod run -d "$IMAGES/busybox.tar" sh -c 'sed -i "s|:/root:|:/changed:|" /etc/passwd; sleep 1000')
	for _ in $(seq 50); do
		[ "$(./qpod exec "$id" cut -d: -f6 /etc/passwd | head -1)" = /changed ] && break
		sleep 0.1
	done
	run ./qpod exec "$id" sh -c 'echo $HOME'
	[ "$output" = /changed ]
}

@test "a damaged root disk is built again, and the run succeeds" {
	./run "$IMAGES/busybox.tar" true
	d=$(disks)
	for damage in 'truncate -s 4096 "$d"' 'dd if=/dev/urandom of="$d" bs=4096 seek=8 count=4 conv=notrunc status=none' \
		'truncate -s 0 "$d"'; do
		eval "$damage"
		run ./run --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" echo ok
		[ "$status" -eq 0 ] || { echo "$damage: $status $output"; return 1; }
		[ "$output" = ok ]
		[ "$(jq -r .root "$BATS_TEST_TMPDIR/r.json")" = disk ]
		d=$(disks)
		[ "$(disks | wc -l)" -eq 1 ]
		name=${d##*/rootfs.}
		[ "${name%.sqfs}" = "$(sha256sum < "$d" | cut -d' ' -f1)" ] || { echo "$damage: not rebuilt"; return 1; }
	done
}

@test "8 concurrent first runs of an image: one root disk, all 8 succeed" {
	for i in $(seq 8); do
		./run --result "$BATS_TEST_TMPDIR/$i.json" "$IMAGES/busybox.tar" echo "run $i" > "$BATS_TEST_TMPDIR/$i.out" 2>&1 &
	done
	wait
	for i in $(seq 8); do
		[ "$(cat "$BATS_TEST_TMPDIR/$i.out")" = "run $i" ] || { echo "run $i: $(cat "$BATS_TEST_TMPDIR/$i.out")"; return 1; }
	done
	[ "$(disks | wc -l)" -eq 1 ]
	[ "$(ls "$QPOD_CACHE/tmp" | wc -l)" -eq 0 ]
	# Those that found the disk in the making shared the root over 9p instead.
	[ "$(cat "$BATS_TEST_TMPDIR"/*.json | jq -r .root | grep -c -v -e '^disk$' -e '^9p: another run builds')" -eq 0 ]
	./run --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" true
	./run --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" true
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "restore restored" ]
}

@test "qpod warm IMAGE saves the image's template ahead; its first run restores it" {
	run ./qpod warm "$IMAGES/busybox.tar"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$(templates)" = "$output" ]
	[ "$(disks | wc -l)" -eq 1 ]
	./run --result "$BATS_TEST_TMPDIR/r.json" "$IMAGES/busybox.tar" true
	[ "$(boot "$BATS_TEST_TMPDIR/r.json")" = "restore restored" ]
	run ./qpod warm
	[ "$(templates | wc -l)" -eq 2 ]
	run -125 ./qpod warm "$IMAGES/busybox.tar" echo hi
	[ "$output" = "qpod warm: takes an IMAGE but no command" ]
}

@test "a detached VM restores too, and says so in inspect" {
	export QPOD_STATE=$BATS_TEST_TMPDIR/state
	./run "$ROOT" true
	id=$(./qpod run -d "$ROOT" sleep 1000)
	[ "$(./qpod inspect -f '{{.Qpod.Boot}}' "$id")" = restore ]
	run ./qpod exec "$id" echo inside
	[ "$output" = inside ]
	./qpod rm -f "$id"
	id=$(QPOD_NO_SNAPSHOT=1 ./qpod run -d "$ROOT" sleep 1000)
	[ "$(./qpod inspect -f '{{.Qpod.Boot}}' "$id")" = cold ]
}
