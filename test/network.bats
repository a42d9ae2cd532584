#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# network.bats: --network, -p, names and DNS, end to end with real guest
# servers. Every packet stays on this machine: guest servers are reached
# through -p on 127.0.0.1, host servers listen on 127.0.0.1.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	mkdir -p "$ROOT/www"
	printf 'hello from the guest\n' > "$ROOT/www/index.html"
	cp "$OUT/obj/test/guest/udprecv" "$ROOT/bin/udprecv"
	export WWW=$BATS_FILE_TMPDIR/www
	mkdir -p "$WWW"
	head -c 20000000 /dev/urandom > "$WWW/big.bin"
	printf 'hello from the host\n' > "$WWW/host.txt"
}

setup() {
	need_images
	cd "$REPO"
}

teardown() {
	stop_bg
}

# A free TCP (or UDP, with "udp") port on 127.0.0.1.
free_port() {
	python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1:] == ["udp"] else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$@"
}

# wait_http URL: until it answers, at most 30 s.
wait_http() {
	local i
	for i in $(seq 300); do
		curl -sf -m 2 -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "no answer from $1"
	return 1
}

@test "lo is up with --network none, and it is the only link" {
	run ./run --network none "$ROOT" sh -c 'ip -o link | cut -d: -f2; ip -o addr show lo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = " lo" ]
	[[ "${lines[1]}" == *"inet 127.0.0.1/8"* ]]
	[ "${#lines[@]}" -eq 2 ]
}

@test "--network none: a connection attempt fails at once" {
	start=$(date +%s)
	run ./run --network none "$ROOT" nc -w 20 10.0.2.2 80
	[ "$status" -ne 0 ]
	[[ "$output" == *"Network is unreachable"* ]]
	[ $(( $(date +%s) - start )) -lt 15 ]
}

@test "the default network: eth0 with the address, the route and qemu's resolver" {
	run ./run "$ROOT" sh -c 'ip -o -4 addr show eth0; ip route | grep ^default; cat /etc/resolv.conf'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"inet 10.0.2.15/24"* ]]
	[[ "${lines[1]}" == "default via 10.0.2.2 dev eth0"* ]]
	[ "${lines[2]}" = "nameserver 10.0.2.3" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "the interface comes on the kernel command line too (set up before READY), only with a NIC" {
	run ./run "$ROOT" cat /proc/cmdline
	[ "$status" -eq 0 ]
	[[ " $output " == *" qpod.net=eth0,10.0.2.15/24,10.0.2.2 "* ]]
	run ./run --network none "$ROOT" cat /proc/cmdline
	[ "$status" -eq 0 ]
	[[ "$output" != *"qpod.net="* ]]
	# a restored VM (the template has it set up) and a cold one: the same one address
	for f in "" --no-snapshot; do
		run ./run $f "$ROOT" sh -c 'ip -o -4 addr show eth0 | wc -l; ip route | grep -c ^default'
		[ "${lines[0]}" = 1 ]
		[ "${lines[1]}" = 1 ]
	done
}

@test "a guest server on 127.0.0.1 is reachable from another guest process" {
	run ./run --network none "$ROOT" sh -c \
		'httpd -p 127.0.0.1:8000 -h /www; wget -qO- http://127.0.0.1:8000/index.html'
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the guest" ]
}

@test "-p 127.0.0.1:PORT:80: the host fetches a page and 20 MB byte-exact" {
	port=$(free_port)
	./run -p "127.0.0.1:$port:80" -v "$WWW:/data:ro" "$ROOT" sh -c \
		'cp /www/index.html /data/big.bin /tmp/ && httpd -f -p 80 -h /tmp' &
	bg=$!
	wait_http "http://127.0.0.1:$port/index.html"
	run curl -sf -m 30 "http://127.0.0.1:$port/index.html"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the guest" ]
	got=$(curl -sf -m 120 "http://127.0.0.1:$port/big.bin" | sha256sum)
	[ "$got" = "$(sha256sum < "$WWW/big.bin")" ]
}

@test "-p PORT:PORT/udp: a guest UDP server receives the host's datagram" {
	port=$(free_port udp)
	./run -p "127.0.0.1:$port:5000/udp" "$ROOT" udprecv 5000 > "$BATS_TEST_TMPDIR/got" 2> "$BATS_TEST_TMPDIR/err" &
	bg=$!
	for i in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	grep -q ready "$BATS_TEST_TMPDIR/err"
	# Datagrams may be lost: send until the server has one (it then exits).
	for i in $(seq 50); do
		python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"datagram-42", ("127.0.0.1", int(sys.argv[1])))' "$port"
		kill -0 $bg 2>/dev/null || break
		sleep 0.2
	done
	wait $bg
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = datagram-42 ]
}

# host_server: a web server on the host's 127.0.0.1 that logs each request to $BATS_TEST_TMPDIR/hits
host_server() {
	port=$(free_port)
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$WWW" >/dev/null 2>"$BATS_TEST_TMPDIR/hits" &
	srv=$!
	wait_http "http://127.0.0.1:$port/host.txt"
	: > "$BATS_TEST_TMPDIR/hits"
}

@test "by default the guest reaches no server on the host's 127.0.0.1, at whatever address of its network" {
	host_server
	run ./run "$ROOT" sh -c "for a in 10.0.2.2 10.0.2.3 10.0.2.77 10.0.2.255; do
		nc -w 5 \$a $port </dev/null && echo \"reached \$a\"; done; grep -c host.containers.internal /etc/hosts || true"
	[ "$status" -eq 0 ]
	[[ "$output" != *reached* ]]
	[ "${lines[-1]}" = 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/hits" ]
}

@test "a host without a default route: the guest is offline as its host, a published port is refused before boot" {
	run --separate-stderr unshare -n sh -c 'ip link set lo up && exec ./run "$0" sh -c "ip -o -4 addr show eth0 | wc -l; echo ran"' "$ROOT"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\nran')" ]
	run --separate-stderr unshare -n sh -c 'ip link set lo up && exec ./run -p 127.0.0.1:8080:80 "$0" echo never' "$ROOT"
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"needs a default route on the host, and this host has none"* ]]
}

@test "--network user:allow_host_loopback=true: the host's 127.0.0.1 as host.containers.internal" {
	host_server
	run ./run --network user:allow_host_loopback=true "$ROOT" wget -qO- "http://host.containers.internal:$port/host.txt"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the host" ]
	[ -s "$BATS_TEST_TMPDIR/hits" ]
}

@test "--add-host NAME:host-gateway: docker's way to ask for the host's loopback" {
	host_server
	run ./run --add-host hostbox:host-gateway "$ROOT" wget -qO- "http://hostbox:$port/host.txt"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the host" ]
}

@test "/etc/hosts, /etc/hostname, -h, --add-host and --dns" {
	run ./run -h web-1 --add-host db:10.1.2.3 --add-host gw:host-gateway --dns 10.0.2.3 "$ROOT" \
		sh -c 'hostname; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = web-1 ]
	[ "${lines[1]}" = web-1 ]
	[[ "$output" == *$'127.0.0.1\tlocalhost'* ]]
	[[ "$output" == *$'10.0.2.15\tweb-1'* ]]
	[[ "$output" == *$'10.0.2.2\thost.containers.internal'* ]]
	[[ "$output" == *$'10.1.2.3\tdb'* ]]
	[[ "$output" == *$'10.0.2.2\tgw'* ]]
	[ "${lines[-1]}" = "nameserver 10.0.2.3" ]
	run ./run --network none "$ROOT" cat /etc/hosts
	[ "$status" -eq 0 ]
	[[ "$output" != *host.containers.internal* ]]
	[[ "$output" == *$'127.0.1.1\t'* ]]
}

@test "two VMs publish different ports at once; a port in use gives 125 before boot" {
	p1=$(free_port)
	p2=$(free_port)
	./run -p "127.0.0.1:$p1:80" "$ROOT" httpd -f -p 80 -h /www &
	bg=$!
	./run -p "127.0.0.1:$p2:80" "$ROOT" httpd -f -p 80 -h /www &
	srv=$!
	wait_http "http://127.0.0.1:$p1/index.html"
	wait_http "http://127.0.0.1:$p2/index.html"
	run --separate-stderr ./run -p "127.0.0.1:$p1:80" "$ROOT" true
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$p1"*"in use"* ]]
}

@test "bad -p specs: 125 and one line naming the spec" {
	for spec in 70000:80 abc 80:80/sctp 1.2.3:80:80 :80 80: 0:80; do
		run --separate-stderr ./run -p "$spec" "$ROOT" true
		[ "$status" -eq 125 ] || { echo "-p $spec gave $status"; return 1; }
		[ "${#stderr_lines[@]}" -eq 1 ] || { echo "-p $spec: $stderr"; return 1; }
		[[ "$stderr" == *"$spec"* ]] || { echo "-p $spec: $stderr"; return 1; }
	done
	run ./run --network bridge "$ROOT" true
	[ "$status" -eq 125 ]
	run ./run --add-host nocolon "$ROOT" true
	[ "$status" -eq 125 ]
	run ./run --dns 10.0.2 "$ROOT" true
	[ "$status" -eq 125 ]
}

@test "a published port nobody listens on: the client ends and so does the VM" {
	port=$(free_port)
	./run -p "127.0.0.1:$port:81" "$ROOT" sleep 8 &
	bg=$!
	for i in $(seq 100); do pgrep -f "qemu-system.*hostfwd=tcp::$port-" >/dev/null && break; sleep 0.1; done
	sleep 2
	run timeout 20 curl -s -m 10 "http://127.0.0.1:$port/"
	[ "$status" -ne 124 ]
	run timeout 30 bash -c "while kill -0 $bg 2>/dev/null; do sleep 0.1; done"
	[ "$status" -eq 0 ]
	wait $bg # the run's own status: sleep ended normally
}

@test "a client that never reads, and a VM killed with a connection open: no hang, no qemu left" {
	port=$(free_port)
	./run -p "127.0.0.1:$port:80" -v "$WWW:/data:ro" "$ROOT" sh -c 'cd /data && httpd -f -p 80 -h /data' &
	bg=$!
	wait_http "http://127.0.0.1:$port/host.txt"
	# Ask for 20 MB and read nothing: the guest's writes stall on the window.
	exec 5<>/dev/tcp/127.0.0.1/$port
	printf 'GET /big.bin HTTP/1.0\r\n\r\n' >&5
	sleep 1
	kill -TERM $bg
	run timeout 30 bash -c "while kill -0 $bg 2>/dev/null; do sleep 0.1; done"
	[ "$status" -eq 0 ]
	exec 5>&-
	run pgrep -f "qemu-system.*hostfwd=tcp::$port-"
	[ "$status" -eq 1 ]
}
