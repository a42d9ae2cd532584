#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# consent.bats: what a bundle may ask of the host that runs it (issue 26,
# finding 3; bundle/bounds.c, runner/vm/conf.c, bundle/baked.c,
# bundle/policy.c). Bundles that ask for 1 TiB of memory, 4096 vCPUs, more
# vCPUs than the host has, a machine or accelerator with extra options, an
# endless boot deadline (test/bundle/mkhostile.py --asks): `qpod run`
# refuses them, 125 with one line and no qemu; `qpod verify` passes those
# that ask more than this host has and refuses a value qpod never takes; the run line's own -m/--cpus decide. A baked port is bound on
# 127.0.0.1 only (seen with ss), whatever address it names; the run line's
# -p binds where it says. A policy.json that requires signatures: an
# unsigned bundle, another key's, a tampered signature are refused, a good
# one runs; reject, a policy others may write, a malformed one.
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
	export APP=$BATS_FILE_TMPDIR/app.qpod SOURCE_DATE_EPOCH=1700000000
	"$QPOD" bundle "$IMAGES/busybox.tar" -o "$APP" > /dev/null
	python3 "$REPO/test/bundle/mkhostile.py" --asks "$APP" "$BATS_FILE_TMPDIR/asks" > "$BATS_FILE_TMPDIR/asks.list"
	mk_fakeqemu "$BATS_FILE_TMPDIR/fakebin"
}

setup() {
	need_images
	cd "$BATS_TEST_TMPDIR"
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
}

# A TCP port nothing listens on.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# listening PORT: the local addresses bound to PORT, once there are any (10 s).
listening() {
	local i out
	for i in $(seq 100); do
		out=$(ss -ltnH "sport = :$1" | awk '{print $4}' | sort)
		if [ -n "$out" ]; then
			echo "$out"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

@test "bundles that ask too much: run refuses each (125, one line, no qemu); verify passes those that ask more than this host has, refuses the rest" {
	local c want n=0
	while IFS='|' read -r c want; do
		refused_line "$want" "$QPOD" run "$BATS_FILE_TMPDIR/asks/$c.qpod" true
		[[ "$stderr" == "qpod: $BATS_FILE_TMPDIR/asks/$c.qpod"* ]]
		case $c in
		*-host | *-1tib) "$QPOD" verify "$BATS_FILE_TMPDIR/asks/$c.qpod" ;;
		*) refused_line "$want" "$QPOD" verify "$BATS_FILE_TMPDIR/asks/$c.qpod" ;;
		esac
		n=$((n + 1))
	done < "$BATS_FILE_TMPDIR/asks.list"
	[ "$n" -eq 10 ]
}

@test "the run line's -m and --cpus decide over what the bundle asks" {
	run "$QPOD" run -m 256m "$BATS_FILE_TMPDIR/asks/launch-memory-1tib.qpod" sh -c 'echo ok'
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run "$QPOD" run -m 256m "$BATS_FILE_TMPDIR/asks/vmconf-memory-1tib.qpod" sh -c 'echo ok'
	[ "$status" -eq 0 ]
	run "$QPOD" run --cpus 1 "$BATS_FILE_TMPDIR/asks/vmconf-cpus-host.qpod" nproc
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "a baked port is bound on 127.0.0.1 only, whatever address it names; the run line's -p where it says" {
	local p q
	p=$(free_port)
	q=$(free_port)
	"$QPOD" bundle -p "$p:80" -p "0.0.0.0:$q:81" "$IMAGES/busybox.tar" -o ports.qpod > /dev/null
	"$QPOD" run ports.qpod sleep 6 > /dev/null 2>&1 3>&- &
	run listening "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "127.0.0.1:$p" ]
	run listening "$q"
	[ "$status" -eq 0 ]
	[ "$output" = "127.0.0.1:$q" ]
	wait $!
	"$QPOD" run -p "$p:80" ports.qpod sleep 6 > /dev/null 2>&1 3>&- &
	run listening "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "0.0.0.0:$p" ]
	run listening "$q"
	[ "$status" -eq 1 ]
	wait $!
}

@test "policy.json signedBy: unsigned, another key's, a tampered signature refused before boot; a good one runs" {
	ssh-keygen -q -t ed25519 -N '' -C ci -f ci
	ssh-keygen -q -t ed25519 -N '' -C other -f other
	mkdir -p config/qpod
	printf '{"bundles": {"type": "signedBy", "keyPaths": ["%s/ci.pub"]}}\n' "$PWD" > config/qpod/policy.json
	cp "$APP" app.qpod
	refused_line "requires a signature by one of its keys" "$QPOD" run app.qpod true
	[[ "$stderr" == *"the bundle is not signed"* ]]
	refused_line "requires a signature by one of its keys" "$QPOD" verify app.qpod
	"$QPOD" bundle --sign other "$IMAGES/busybox.tar" -o app.qpod > /dev/null
	refused_line "requires a signature by one of its keys" "$QPOD" run app.qpod true
	# --verify-key of the other key is not the policy's word
	refused_line "requires a signature by one of its keys" "$QPOD" run --verify-key other.pub app.qpod true
	"$QPOD" bundle --sign ci "$IMAGES/busybox.tar" -o app.qpod > /dev/null
	cp app.qpod.sig good.sig
	python3 - app.qpod.sig <<-'EOF'
	import sys
	p = sys.argv[1]
	lines = open(p).read().split("\n")
	b = lines[3]
	lines[3] = b[:20] + ("A" if b[20] != "A" else "B") + b[21:]
	open(p, "w").write("\n".join(lines))
	EOF
	run cmp -s app.qpod.sig good.sig
	[ "$status" -eq 1 ]
	refused_line "requires a signature by one of its keys" "$QPOD" run app.qpod true
	cp good.sig app.qpod.sig
	run "$QPOD" run app.qpod sh -c 'echo signed'
	[ "$status" -eq 0 ]
	[ "$output" = signed ]
	run "$QPOD" verify app.qpod
	[ "$status" -eq 0 ]
}

@test "policy.json: reject refuses every bundle, acceptAnything runs an unsigned one, a bad or open policy is refused" {
	mkdir -p config/qpod
	echo '{"bundles": {"type": "reject"}}' > config/qpod/policy.json
	refused_line "rejects every bundle" "$QPOD" run "$APP" true
	echo '{"bundles": {"type": "insecureAcceptAnything"}}' > config/qpod/policy.json
	run "$QPOD" run "$APP" sh -c 'echo any'
	[ "$status" -eq 0 ]
	[ "$output" = any ]
	chmod g+w config/qpod/policy.json
	refused_line "policy.json is writable by group or others" "$QPOD" run "$APP" true
	chmod g-w config/qpod/policy.json
	local policy want
	while IFS='|' read -r policy want; do
		echo "$policy" > config/qpod/policy.json
		refused_line "$want" "$QPOD" run "$APP" true
	done <<-'EOF'
	{"bundles": {"type": "signedBy", "keyPaths": []}}|"keyPaths" (1 to 16 ssh public keys)
	{"bundles": {"type": "signedby"}}|"type" is insecureAcceptAnything, reject, or signedBy
	{"images": {}}|not {"bundles": {"type": ...
	EOF
	# an image that is no bundle is not the policy's business
	echo '{"bundles": {"type": "reject"}}' > config/qpod/policy.json
	run "$QPOD" run "$IMAGES/busybox.tar" sh -c 'echo image'
	[ "$status" -eq 0 ]
	[ "$output" = image ]
}
