#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# flags.bats: every flag of `qpod run`, walked from its table
# (runner/flags.c, whose rows the unit test runner_flags prints with
# --list): it parses (without its value, or with a bad one: 125 and one
# line naming it; with a good one the run reaches qemu, a fake one), run's
# --help lists it, and `qpod bundle` bakes it into the launch config under
# its key, takes it for the image alone (nothing stored), or refuses it:
# 125, one line naming it, nothing written. A flag added to the table
# without a value here fails the first test.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROWS=$BATS_FILE_TMPDIR/rows
	"$OUT/obj/test/unit/runner_flags" --list > "$ROWS"
	export ROOT=$BATS_FILE_TMPDIR/root
	mk_bbroot "$ROOT"
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache QPOD_STATE=$BATS_FILE_TMPDIR/state
	mk_fakeqemu "$BATS_FILE_TMPDIR/fakebin"
	echo B=2 > "$BATS_FILE_TMPDIR/env"
	echo '{}' > "$BATS_FILE_TMPDIR/auth.json"
	mkdir "$BATS_FILE_TMPDIR/vol"
	ssh-keygen -q -t ed25519 -N '' -C flags -f "$BATS_FILE_TMPDIR/key"
	"$QPOD" bundle --sign "$BATS_FILE_TMPDIR/key" "$IMAGES/busybox.tar" -o "$BATS_FILE_TMPDIR/signed.qpod" > /dev/null
	case $(uname -m) in aarch64) export PLATFORM=linux/arm64 ;; *) export PLATFORM=linux/amd64 ;; esac
	export PORT=$((20000 + RANDOM % 20000))
}

setup() {
	need_images
	[ -s "$ROWS" ] || fail_now "no rows from $OUT/obj/test/unit/runner_flags --list (make test builds it)"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	cd "$REPO"
	rm_all_vms
}

# in_help HELP SHORT NAME: HELP has the row of --NAME ("  -e, --env ...",
# "      --env-file ..."; SHORT - when it has none).
in_help() {
	local s="    "
	[ "$2" = - ] || s="$2, "
	grep -Eq -- "^  $s--$3( |=|\$)" <<< "$1"
}

# good NAME: a value run takes for --NAME, or status 1 when this file has none.
good() {
	local t=$BATS_FILE_TMPDIR
	case $1 in
	env) echo A=1 ;; env-file) echo "$t/env" ;; workdir) echo /tmp ;; user) echo 1000 ;; group-add) echo 50 ;;
	entrypoint) echo /bin/true ;; volume) echo "$t/vol:/mnt" ;; tmpfs) echo /scratch ;; shm-size) echo 1m ;;
	ulimit) echo nofile=1024 ;; umask) echo 0077 ;; memory) echo 128m ;; cpus) echo 1 ;; network) echo none ;;
	publish) echo "127.0.0.1:$PORT:80" ;; hostname) echo box ;; dns) echo 10.0.2.3 ;; add-host) echo db:10.0.2.9 ;;
	timeout) echo 30 ;; name) echo flags-named ;; attach) echo STDOUT ;; label) echo k=v ;; health-cmd) echo true ;;
	health-interval | health-timeout | health-start-period | health-start-interval) echo 1s ;;
	health-retries) echo 2 ;; sdnotify) echo ignore ;; restart) echo no ;; stop-signal) echo KILL ;;
	stop-timeout) echo 3 ;; log-max-size) echo 1m ;; accel) echo tcg ;; boot) echo fwcfg ;;
	console) echo "$BATS_TEST_TMPDIR/console" ;; kernel) echo "$IMAGES/vmlinux" ;;
	initrd) echo "$IMAGES/initrd.img" ;; platform) echo "$PLATFORM" ;; max-bytes) echo 1g ;; pull) echo never ;;
	creds) echo qpod ;; authfile) echo "$t/auth.json" ;; verify-key) echo "$t/key.pub" ;;
	result) echo "$BATS_TEST_TMPDIR/r.json" ;; cache) echo ls ;;
	*) return 1 ;;
	esac
}

# use NAME ARG: the words that give the flag: --NAME and its good value.
use() {
	case $2 in
	value) echo "--$1 $(good "$1")" ;;
	*) echo "--$1" ;;
	esac
}

# partner NAME: what a run line needs beside --NAME.
partner() {
	case $1 in
	creds) echo --password-stdin ;;
	password-stdin) echo "--creds qpod" ;;
	esac
}

@test "the table has run's flags, each once; this file has a good value for each that takes one" {
	[ "$(wc -l < "$ROWS")" -ge 60 ]
	[ -z "$(cut -d' ' -f1 "$ROWS" | sort | uniq -d)" ]
	local name short arg bundle key
	while read -r name short arg bundle key; do
		[ "$arg" != value ] || good "$name" > /dev/null || fail_now "no good value for --$name in flags.bats"
	done < "$ROWS"
	grep -q '^detach -d bool refuse -$' "$ROWS"
	grep -q '^env -e value bake env$' "$ROWS"
}

@test "every flag parses: without its value, or with a bad one, 125 and one line naming it" {
	local name short arg bundle key
	while read -r name short arg bundle key; do
		case $arg in
		value) refused_line "qpod: --$name needs a value" "$QPOD" run "--$name" ;;
		bool) refused_line "qpod: --$name=maybe: expected true or false" "$QPOD" run "--$name=maybe" "$ROOT" true ;;
		none) refused_line "qpod: --$name=x: unknown flag" "$QPOD" run "--$name=x" "$ROOT" true ;;
		esac
		if [ "$short" != - ] && [ "$arg" = value ]; then
			refused_line "qpod: $short needs a value" "$QPOD" run "$short"
		fi
	done < "$ROWS"
}

@test "every flag with a good value reaches qemu (the fake one); --help, --version and --cache ls answer" {
	local name short arg bundle key image
	while read -r name short arg bundle key; do
		image=$ROOT
		[ "$name" != verify-key ] || image=$BATS_FILE_TMPDIR/signed.qpod
		case $name in
		help | version | cache)
			run --separate-stderr "$QPOD" run $(use "$name" "$arg")
			echo "--$name: status $status"
			[ "$status" -eq 0 ]
			[ -n "$output" ]
			;;
		*)
			run --separate-stderr env PATH="$FAKEBIN:$PATH" "$QPOD" run $(use "$name" "$arg") $(partner "$name") \
				"$image" true <<< secret
			echo "--$name: status $status, stderr: $stderr"
			[ "$status" -eq 125 ]
			# -d and --name hand qemu to a monitor, which keeps its words from this stderr
			[[ "$stderr" == *"qemu failed"* ]]
			;;
		esac
	done < "$ROWS"
}

@test "qpod bundle bakes each bakeable flag under its key, takes the image flags unstored, refuses every other" {
	local name short arg bundle key
	while read -r name short arg bundle key; do
		case $bundle in
		bake)
			"$QPOD" bundle $(use "$name" "$arg") "$IMAGES/busybox.tar" -o "$name.qpod" > /dev/null
			"$QPOD" inspect "$name.qpod" | jq -e --arg k "$key" '.launch | keys == [$k]' ;;
		image)
			"$QPOD" bundle $(use "$name" "$arg") $(partner "$name") "$IMAGES/busybox.tar" -o "$name.qpod" \
				<<< secret > /dev/null
			"$QPOD" inspect "$name.qpod" | jq -e '.launch == {}' ;;
		answer)
			run "$QPOD" bundle "--$name"
			[ "$status" -eq 0 ] ;;
		refuse)
			refused_line "qpod: bundle: --$name cannot be baked into a bundle" \
				"$QPOD" bundle $(use "$name" "$arg") "$IMAGES/busybox.tar" -o "$name.qpod"
			[ ! -e "$name.qpod" ] ;;
		*) fail_now "--$name: bundle '$bundle' is none of bake, image, answer, refuse" ;;
		esac
		if [ "$short" != - ] && [ "$bundle" = refuse ]; then
			refused_line "qpod: bundle: $short cannot be baked" "$QPOD" bundle "$short" $(good "$name") \
				"$IMAGES/busybox.tar" -o "$name.qpod"
		fi
	done < "$ROWS"
}

@test "run --help lists every flag, with its short name; bundle --help those it takes, none it refuses" {
	run "$QPOD" run --help
	[ "$status" -eq 0 ]
	local help=$output name short arg bundle key
	run "$QPOD" bundle --help
	[ "$status" -eq 0 ]
	while read -r name short arg bundle key; do
		in_help "$help" "$short" "$name" || fail_now "run --help has no line for $short --$name"
		case $bundle in
		bake | image) in_help "$output" "$short" "$name" || fail_now "bundle --help lacks --$name" ;;
		refuse) ! grep -Eq -- "--$name( |=|\$)" <<< "$output" || fail_now "bundle --help lists --$name" ;;
		esac
	done < "$ROWS"
}

@test "issue 29: bundle -d --stop-signal KILL --stop-timeout 3 --log-max-size 1m is refused, naming -d, before any work" {
	refused_line "qpod: bundle: -d cannot be baked into a bundle (it belongs on the run line)" \
		"$QPOD" bundle -d --stop-signal KILL --stop-timeout 3 --log-max-size 1m "$IMAGES/busybox.tar" -o x.qpod
	[ ! -e x.qpod ]
	# the refusal comes before the value is looked at
	refused_line "qpod: bundle: --stop-signal cannot be baked" "$QPOD" bundle --stop-signal=NOSUCH "$IMAGES/busybox.tar" -o x.qpod
	refused_line "qpod: bundle: --rm cannot be baked" "$QPOD" bundle --rm=maybe "$IMAGES/busybox.tar" -o x.qpod
	[ ! -e x.qpod ]
}

@test "bundle: --network user:allow_host_loopback=true is refused (the launch config has user or none)" {
	refused_line "qpod: bundle: --network user:allow_host_loopback=true cannot be baked" \
		"$QPOD" bundle --network user:allow_host_loopback=true "$IMAGES/busybox.tar" -o x.qpod
	[ ! -e x.qpod ]
	"$QPOD" bundle --network user:allow_host_loopback=false "$IMAGES/busybox.tar" -o x.qpod > /dev/null
	[ "$("$QPOD" inspect x.qpod | jq -c .launch)" = '{"network":"user"}' ]
}

@test "bundle: -p with more ports than a launch config holds is refused, nothing written" {
	refused_line "a launch config holds at most 64" "$QPOD" bundle -p 10000-10064:10000-10064 "$IMAGES/busybox.tar" -o p.qpod
	[ ! -e p.qpod ]
	"$QPOD" bundle -p 10000-10063:10000-10063 "$IMAGES/busybox.tar" -o p.qpod > /dev/null
	[ "$("$QPOD" inspect p.qpod | jq '.launch.publish | length')" -eq 64 ]
}
