#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# push.bats: bundles through an OCI registry, byte for byte (issue 26,
# finding 4; bundle/registry.h). Debian's docker-registry is started here
# on 127.0.0.1 with TLS from a throwaway CA (openssl; qpod finds its
# ca.crt in the certs.d directory podman reads) and htpasswd auth (the
# credentials in an auth.json, as skopeo and podman read it); its storage
# in BATS_FILE_TMPDIR, stopped by its pid in teardown_file. A signed bundle
# is pushed, pulled into an empty cache, compared with cmp (bundle and
# signature), verified and run, also as `qpod run REGISTRY/REPO:TAG`; a
# second push sends no blob; skopeo inspects what qpod pushed. Refused, each
# 125 with one line: TLS from an unknown CA, a wrong password, a missing
# tag, a manifest the registry serves with a changed byte. A second
# registry wants Bearer tokens (distribution's `auth: token`) from
# test/bundle/tokenserver.py: push and pull through it, and credentials its
# token server refuses.
bats_require_minimum_version 1.5.0

load helpers

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_401 URL LOG: URL answers 401 (a server that wants credentials is up),
# within 10 s; else LOG is shown.
wait_401() {
	local i code
	for i in $(seq 100); do
		code=$(curl -s --cacert "$BATS_FILE_TMPDIR/ca.crt" -o /dev/null -w '%{http_code}' "$1" || true)
		[ "$code" = 401 ] && return 0
		sleep 0.1
	done
	echo "# $1 did not start: $(cat "$2")" >&3
	return 1
}

# start_registry DIR PORT: Debian's registry on https://127.0.0.1:PORT with
# the file's TLS certificate, storage in DIR/storage, the auth section read
# from stdin (YAML, two-space indent), its pid in DIR/reg.pid; a host that
# trusts the CA (certs.d) keeps its ca.crt.
start_registry() {
	local d=$1 port=$2
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s/storage\n' "$d"
		printf 'http:\n  addr: 127.0.0.1:%s\n  tls:\n    certificate: %s\n    key: %s\n' \
			"$port" "$BATS_FILE_TMPDIR/reg.crt" "$BATS_FILE_TMPDIR/reg.key"
		printf 'auth:\n'
		cat
	} > "$d/reg.yml"
	# (the registry reads REGISTRY_* as its own settings: REGISTRY_AUTH_FILE is qpod's)
	env -u REGISTRY_AUTH_FILE docker-registry serve "$d/reg.yml" > "$d/reg.log" 2>&1 3>&- &
	echo $! > "$d/reg.pid"
	wait_401 "https://127.0.0.1:$port/v2/" "$d/reg.log" || return 1
	mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/127.0.0.1:$port"
	cp "$BATS_FILE_TMPDIR/ca.crt" "$XDG_CONFIG_HOME/containers/certs.d/127.0.0.1:$port/ca.crt"
}

# stop_pids FILE...: kill the process each FILE names, and wait for it.
stop_pids() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
		while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.05; done
	done
	return 0
}

setup_file() {
	local d=$BATS_FILE_TMPDIR t
	for t in docker-registry skopeo htpasswd openssl curl; do
		command -v "$t" > /dev/null || { echo "# $t missing (make deps-test)" >&3; return 1; }
	done
	# a CA of this run only, and the registry's certificate for 127.0.0.1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 1 -subj /CN=qpod-test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/reg.key" -out "$d/reg.csr" -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext"
	openssl x509 -req -in "$d/reg.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -out "$d/reg.crt" \
		-days 1 -extfile "$d/ext" 2>/dev/null
	htpasswd -Bbn qpod s3cret > "$d/htpasswd"
	export PORT
	PORT=$(free_port)
	export REF=127.0.0.1:$PORT/qpod/app:1
	# What a host that trusts the CA and has the credentials keeps.
	export XDG_CONFIG_HOME=$d/config REGISTRY_AUTH_FILE=$d/auth.json
	start_registry "$d" "$PORT" <<-EOF || return 1
	  htpasswd:
	    realm: qpod-test
	    path: $d/htpasswd
	EOF
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$PORT" "$(printf qpod:s3cret | base64)" > "$REGISTRY_AUTH_FILE"
	export QPOD_CACHE=$d/cache APP=$d/app.qpod SOURCE_DATE_EPOCH=1700000000
	ssh-keygen -q -t ed25519 -N '' -C ci -f "$d/key"
	"$QPOD" bundle --sign "$d/key" "$IMAGES/busybox.tar" -o "$APP" > /dev/null
}

teardown_file() {
	stop_pids "$BATS_FILE_TMPDIR/reg.pid"
}

setup() {
	need_images
	cd "$BATS_TEST_TMPDIR"
}

@test "push, pull into an empty cache: the same file and signature (cmp), verify passes, run boots it" {
	run "$QPOD" push "$APP" "$REF"
	[ "$status" -eq 0 ]
	[[ "$output" == "sha256:"*"  $REF  ("*" blobs sent, "*", signed)" ]]
	run env QPOD_CACHE="$PWD/empty" "$QPOD" pull "$REF"
	[ "$status" -eq 0 ]
	local got=$output
	[[ "$got" == "$PWD/empty/bundles/pulled/"*.qpod ]]
	cmp "$APP" "$got"
	cmp "$APP.sig" "$got.sig"
	QPOD_CACHE=$PWD/empty "$QPOD" verify --verify-key "$BATS_FILE_TMPDIR/key.pub" "$got"
	run env QPOD_CACHE="$PWD/fresh" "$QPOD" run --verify-key "$BATS_FILE_TMPDIR/key.pub" "$REF" sh -c 'echo from the registry'
	[ "$status" -eq 0 ]
	[ "$output" = "from the registry" ]
	# the cache keeps what it fetched: a second pull fetches no blob (the store is unchanged)
	local before
	before=$(ls -l --time-style=+%s.%N "$PWD/empty/blobs/sha256" | sort)
	QPOD_CACHE=$PWD/empty "$QPOD" pull "$REF" > /dev/null
	[ "$(ls -l --time-style=+%s.%N "$PWD/empty/blobs/sha256" | sort)" = "$before" ]
}

@test "a second push sends no blob again; skopeo inspects what qpod pushed" {
	"$QPOD" push -q "$APP" "$REF"
	run "$QPOD" push "$APP" "$REF"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(0 blobs sent, 11 already there, signed)" ]]
	run skopeo inspect --cert-dir "$XDG_CONFIG_HOME/containers/certs.d/127.0.0.1:$PORT" --creds qpod:s3cret "docker://$REF"
	[ "$status" -eq 0 ]
	[ "$(jq -r .Name <<<"$output")" = "127.0.0.1:$PORT/qpod/app" ]
	[ "$(jq -r .Architecture <<<"$output")" = amd64 ]
}

@test "TLS is verified: a registry whose CA this host does not know is refused" {
	refused_line "SSL certificate problem" env XDG_CONFIG_HOME="$PWD/none" "$QPOD" push "$APP" "$REF"
	refused_line "SSL certificate problem" env XDG_CONFIG_HOME="$PWD/none" QPOD_CACHE="$PWD/c" "$QPOD" pull "$REF"
	[ ! -e "$PWD/c/bundles/pulled" ] || [ -z "$(ls "$PWD/c/bundles/pulled")" ]
}

@test "a wrong password, a missing tag: 125 and one line" {
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$PORT" "$(printf qpod:wrong | base64)" > bad.json
	refused_line "the credentials were refused" env REGISTRY_AUTH_FILE="$PWD/bad.json" "$QPOD" push "$APP" "$REF"
	refused_line "the credentials were refused" env REGISTRY_AUTH_FILE="$PWD/bad.json" QPOD_CACHE="$PWD/c" "$QPOD" pull "$REF"
	"$QPOD" push -q "$APP" "$REF"
	refused_line "" env QPOD_CACHE="$PWD/c" "$QPOD" pull "127.0.0.1:$PORT/qpod/app:nope"
	refused_line "" env QPOD_CACHE="$PWD/c" "$QPOD" run "127.0.0.1:$PORT/qpod/app:nope" true
}

@test "a manifest the registry serves with a changed byte: 125, one line, nothing kept" {
	"$QPOD" push -q "$APP" "$REF"
	local n q data
	n=$(tar -xOf "$APP" index.json | jq -r '.manifests[0].digest[7:]')
	q=$(tar -xOf "$APP" "blobs/sha256/$n" | jq -r '.manifests[] | select(.artifactType == "application/vnd.qpod.bundle.v1") | .digest[7:]')
	[ ${#q} -eq 64 ]
	data=$BATS_FILE_TMPDIR/storage/docker/registry/v2/blobs/sha256/${q:0:2}/$q/data
	cp "$data" saved
	sed -i 's/image.created/image.createD/' "$data"
	run cmp -s saved "$data"
	[ "$status" -eq 1 ]
	refused_line "the manifest sha256:${q:0:12} it served does not match its digest" env QPOD_CACHE="$PWD/c" "$QPOD" pull "$REF"
	refused_line "does not match its digest" env QPOD_CACHE="$PWD/c2" "$QPOD" run "$REF" true
	cp saved "$data"
	[ -z "$(ls "$PWD/c/bundles/pulled")" ]
}

# A registry that wants Bearer tokens (distribution's `auth: token`), with
# the token server test/bundle/tokenserver.py: both on 127.0.0.1, TLS from
# this run's CA, the token signed by a key whose certificate the CA signed.
start_token_registry() {
	local d=$BATS_TEST_TMPDIR
	openssl req -newkey rsa:2048 -nodes -keyout "$d/sign.key" -out "$d/sign.csr" -subj /CN=qpod-token 2>/dev/null
	openssl x509 -req -in "$d/sign.csr" -CA "$BATS_FILE_TMPDIR/ca.crt" -CAkey "$BATS_FILE_TMPDIR/ca.key" \
		-CAcreateserial -out "$d/sign.crt" -days 1 2>/dev/null
	TPORT=$(free_port)
	BPORT=$(free_port)
	python3 "$REPO/test/bundle/tokenserver.py" "$TPORT" "$BATS_FILE_TMPDIR/reg.crt" "$BATS_FILE_TMPDIR/reg.key" \
		"$d/sign.crt" "$d/sign.key" qpod-test-issuer qpod:s3cret "$d/tokens.log" > "$d/token.out" 2>&1 3>&- &
	echo $! > "$d/token.pid"
	wait_401 "https://127.0.0.1:$TPORT/token" "$d/token.out" || return 1
	start_registry "$d" "$BPORT" <<-EOF || return 1
	  token:
	    realm: https://127.0.0.1:$TPORT/token
	    service: qpod-test
	    issuer: qpod-test-issuer
	    rootcertbundle: $BATS_FILE_TMPDIR/ca.crt
	EOF
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$BPORT" "$(printf qpod:s3cret | base64)" > "$d/bauth.json"
}

teardown() {
	stop_pids "$BATS_TEST_TMPDIR/token.pid" "$BATS_TEST_TMPDIR/reg.pid"
}

@test "a registry that hands out Bearer tokens: push and pull through its token server; refused credentials: 125, one line" {
	start_token_registry
	local bref=127.0.0.1:$BPORT/qpod/app:1 got
	# the registry itself takes no Basic credentials: only a token does
	run curl -s --cacert "$BATS_FILE_TMPDIR/ca.crt" -u qpod:s3cret -o /dev/null -w '%{http_code}' "https://127.0.0.1:$BPORT/v2/"
	[ "$output" = 401 ]
	run env REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/bauth.json" "$QPOD" push "$APP" "$bref"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "sha256:"*"  $bref  ("*" blobs sent, "*", signed)" ]]
	# tokens were asked for and given, with push among the actions
	grep -q '^200 .*repository:qpod/app:.*push' "$BATS_TEST_TMPDIR/tokens.log"
	run env REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/bauth.json" QPOD_CACHE="$PWD/c" "$QPOD" pull "$bref"
	[ "$status" -eq 0 ]
	got=$output
	cmp "$APP" "$got"
	cmp "$APP.sig" "$got.sig"
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$BPORT" "$(printf qpod:wrong | base64)" > bad.json
	refused_line "the token server https://127.0.0.1:$TPORT/token answered 401 (the credentials were refused)" \
		env REGISTRY_AUTH_FILE="$PWD/bad.json" QPOD_CACHE="$PWD/c2" "$QPOD" pull "$bref"
	grep -q '^401' "$BATS_TEST_TMPDIR/tokens.log"
	[ ! -e "$PWD/c2/bundles/pulled" ] || [ -z "$(ls "$PWD/c2/bundles/pulled")" ]
}
