#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# bundle.bats: `qpod bundle`, `qpod run APP.qpod`, `qpod inspect`, `qpod
# verify` (bundle/bundle.h): every public fixture image bundled and booted,
# reproducibility, the OCI tools' view (skopeo, umoci), a self-contained run
# from an installed prefix with no boot images and an empty cache, a changed
# byte in every part, signatures, every hostile case of
# test/bundle/mkhostile.py, baked flags and the run line over them, and the
# run flags and exit statuses on a bundle; an arm64 guest's bundle. A
# refused bundle must exit 125 with one line on stderr, start no qemu (a
# fake qemu-system-x86_64 or -aarch64 first on PATH would leave a mark) and
# write nothing outside the cache.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	FIX=$(fixtures_dir)
	export FIX
	export QPOD_CACHE=$BATS_FILE_TMPDIR/cache
	export APP=$BATS_FILE_TMPDIR/app.qpod
	export SOURCE_DATE_EPOCH=1700000000
	"$QPOD" bundle "$IMAGES/busybox.tar" -o "$APP" > "$BATS_FILE_TMPDIR/bundle.out"
	# A qemu that only says it started: put first on PATH where no VM may start.
	mk_fakeqemu "$BATS_FILE_TMPDIR/fakebin"
	export ARM=$OUT/images-arm64/busybox.tar
	[ "$(uname -m)" != aarch64 ] || ARM=$IMAGES/busybox.tar
}

setup() {
	need_images
	[ -f "$APP" ] || fail_now "setup_file did not make $APP"
	cd "$BATS_TEST_TMPDIR"
}

# refused FILE ARGS...: qpod run FILE ARGS exits 125 with one line, starts no
# qemu (the fake one would say so on stderr), writes nothing outside the
# cache; the line is in $output.
refused() {
	local f=$1
	shift
	local before after
	before=$(find "$BATS_TEST_TMPDIR" ! -name "separate-stderr-*" | sort)
	run --separate-stderr env PATH="$FAKEBIN:$PATH" "$QPOD" run "$@" "$f" true
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" != *fake-qemu-started* ]]
	after=$(find "$BATS_TEST_TMPDIR" ! -name "separate-stderr-*" | sort)
	[ "$before" = "$after" ]
	output=$stderr
}

@test "the fake qemu says so when it starts (so its silence below means no qemu started)" {
	run --separate-stderr env PATH="$FAKEBIN:$PATH" "$QPOD" run --no-snapshot "$APP" true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *fake-qemu-started* ]]
}

@test "bundle busybox.tar: prints its digest; run boots it and passes stdout and the exit status" {
	[[ "$(cat "$BATS_FILE_TMPDIR/bundle.out")" == "sha256:"*"  $APP" ]]
	run "$QPOD" run "$APP" sh -c 'echo hello from the bundle; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = "hello from the bundle" ]
}

@test "the root is the squashfs on a read-only disk under a tmpfs overlay: writes work and vanish" {
	run "$QPOD" run "$APP" sh -c 'cat /sys/block/vda/ro; echo x > /bin/new; cat /bin/new'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\nx')" ]
	run "$QPOD" run "$APP" ls /bin/new
	[ "$status" -ne 0 ]
}

@test "fixtures: each image with something to run bundles and runs (the arm64-only one below)" {
	local f want cmd
	while IFS='|' read -r f want cmd; do
		"$QPOD" bundle "$FIX/$f" -o "$f.qpod" > /dev/null
		eval "run \"\$QPOD\" run \"\$f.qpod\" $cmd"
		echo "$f: status $status: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"$want"* ]]
	done <<-'EOF'
	dive-docker-save-busybox-14layers.tar|.data .saved.txt saved.txt|sh -c 'echo $(ls -A /root)'
	dive-kaniko-tarball-busybox-14layers-gzip.tar|BusyBox v1.32.1|busybox
	snyk-docker25-save-hello-world-amd64.tar|Hello from Docker!|
	snyk-oci-busybox-3layers-whiteout-opaque.tar|gone|sh -c 'test ! -e /node && echo gone'
	snyk-containerd-export-busybox-multiarch-index.tar|BusyBox v1.36.1|busybox
	snyk-containerd-export-alpine-3.14.tar|3.14.9|cat /etc/alpine-release
	snyk-skopeo-docker-archive-busybox.tar|BusyBox v1.31.1|busybox
	trivy-docker-save-alpine-3.10.tar.gz|3.10.4|cat /etc/alpine-release
	EOF
}

@test "fixtures: the images with nothing to run bundle their trees (the command is not found: 127)" {
	"$QPOD" bundle "$FIX/ggcr-crane-tarball-whiteout-dir-recreate.tar" -o w.qpod > /dev/null
	run -127 "$QPOD" run w.qpod /bin/sh
	tar -xOf w.qpod "blobs/sha256/$("$QPOD" inspect w.qpod | jq -r '.parts[] | select(.part=="rootfs") | .digest[7:]')" > w.sqfs
	unsquashfs -d w -q -no-progress w.sqfs > /dev/null
	[ "$(cd w && find . -type f | sort | tr '\n' ' ')" = "./a/baz ./b/bar " ]
	"$QPOD" bundle "$FIX/scalibr-docker-save-symlinks-escape.tar" -o s.qpod > /dev/null
	run -127 "$QPOD" run s.qpod /bin/sh
}

@test "fixtures: the arm64-only image bundles with the arm64 guest; --platform linux/amd64 is refused as run refuses it" {
	run --separate-stderr "$QPOD" bundle --platform linux/amd64 "$FIX/dive-oci-zstd-readme-arm64.tar" -o arm.qpod
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"no linux/amd64 variant (has: linux/arm64)"* ]]
	[ ! -e arm.qpod ]
	[ -f "$ARM" ] || fail_now "missing: $ARM: run \`make image ARCH=arm64\` first"
	run "$QPOD" bundle "$FIX/dive-oci-zstd-readme-arm64.tar" -o arm.qpod
	[ "$status" -eq 0 ]
	run "$QPOD" inspect arm.qpod
	[ "$(jq -r .platform <<<"$output")" = linux/arm64 ]
}

@test "an arm64 bundle: its Image, initrd and vm.conf, no kernel-up or firmware; inspect names linux/arm64; it boots aarch64, verified" {
	[ -f "$ARM" ] || fail_now "missing: $ARM: run \`make image ARCH=arm64\` first"
	run "$QPOD" bundle "$ARM" -o arm.qpod
	[ "$status" -eq 0 ]
	run "$QPOD" inspect arm.qpod
	[ "$status" -eq 0 ]
	[ "$(jq -r .platform <<<"$output")" = linux/arm64 ]
	[ "$(jq -r '.parts | map(.part) | join(",")' <<<"$output")" = "index.json,image index,image manifest,image config,image layer,qpod manifest,empty config,kernel,initrd,cmdline,vm.conf,sbom,launch,rootfs" ]
	kernel=$(jq -r '.parts[] | select(.part=="kernel") | .digest[7:]' <<<"$output")
	[ "$kernel" = "$(sha256sum < "$(dirname "$ARM")/Image" | cut -c1-64)" ]
	# the OCI tools see an arm64 image
	skopeo copy --override-arch arm64 "oci-archive:arm.qpod" oci:copy:app > /dev/null
	[ "$(jq -r .architecture "copy/blobs/sha256/$(jq -r '.config.digest[7:]' "copy/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' copy/index.json)")")" = arm64 ]
	run "$QPOD" verify arm.qpod
	[ "$status" -eq 0 ]
	run "$QPOD" run arm.qpod uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[ -f "$QPOD_CACHE/bundles/$(jq -r .digest[7:] <<<"$("$QPOD" inspect arm.qpod)")/Image" ]
}

@test "an image of a platform qpod has no guest for is not bundled: 125, one line" {
	SOURCE_DATE_EPOCH=1700000000 "$REPO/packer/mkbusybox.sh" /bin/busybox s390x.tar s390x
	run --separate-stderr "$QPOD" bundle s390x.tar -o s.qpod
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"is linux/s390x: qpod has guests for linux/amd64, linux/arm64 only"* ]]
	[ ! -e s.qpod ]
}

@test "reproducible: two builds from fresh caches are byte-identical; so is a signed build" {
	QPOD_CACHE=$PWD/c1 "$QPOD" bundle "$IMAGES/busybox.tar" -o one.qpod > /dev/null
	QPOD_CACHE=$PWD/c2 "$QPOD" bundle "$IMAGES/busybox.tar" -o two.qpod > /dev/null
	cmp one.qpod two.qpod
	cmp one.qpod "$APP"
	ssh-keygen -q -t ed25519 -N '' -C ci -f key
	QPOD_CACHE=$PWD/c3 "$QPOD" bundle --sign key "$IMAGES/busybox.tar" -o three.qpod > /dev/null
	cmp one.qpod three.qpod
	[ -s three.qpod.sig ]
	# no host leaks: owners 0, no names, mtimes = SOURCE_DATE_EPOCH
	[ "$(TZ=UTC tar tvf one.qpod --full-time | awk '{print $2, $4" "$5}' | sort -u)" = "0/0 2023-11-14 22:13:20" ]
}

@test "OCI tools: skopeo inspects and copies the bundle, umoci unpacks the image from the copy" {
	run skopeo inspect "oci-archive:$APP"
	[ "$status" -eq 0 ]
	[ "$(jq -r .Architecture <<<"$output")" = amd64 ]
	skopeo copy "oci-archive:$APP" oci:copy:app > /dev/null
	umoci unpack --image copy:app bundle-dir > /dev/null
	[ -x bundle-dir/rootfs/bin/busybox ]
	[ "$(bundle-dir/rootfs/bin/busybox echo ok)" = ok ]
}

@test "inspect: parts with digests, sizes and media types; kernel, image and launch configs; signature state" {
	run "$QPOD" inspect "$APP"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.parts | map(.part) | join(",")' <<<"$output")" = "index.json,image index,image manifest,image config,image layer,qpod manifest,empty config,kernel,kernel-up,initrd,firmware,cmdline,vm.conf,sbom,launch,rootfs" ]
	[ "$(jq -r '.parts[] | select(.part=="kernel") | .mediaType' <<<"$output")" = application/vnd.qpod.kernel.v1 ]
	[ "$(jq -r '.parts[] | select(.part=="rootfs") | .digest' <<<"$output")" = "sha256:$(tar -xOf "$APP" "blobs/sha256/$(jq -r '.parts[] | select(.part=="rootfs") | .digest[7:]' <<<"$output")" | sha256sum | cut -c1-64)" ]
	[ "$(jq -r .kernel.version <<<"$output")" = "$(jq -r .kernel "$IMAGES/manifest.json")" ]
	# the images' command line, and the root's dm-verity mapping (test/verity.bats)
	[[ "$(jq -r .kernel.cmdline <<<"$output")" == "$(cat "$IMAGES/cmdline") dm-mod.create=\"qpod-root,,,ro,0 "* ]]
	[ "$(jq -c .image.config.Env <<<"$output")" = '["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]' ]
	[ "$(jq -c .launch <<<"$output")" = '{}' ]
	[ "$(jq -r .signature.state <<<"$output")" = unsigned ]
}

@test "verify: every digest, exit 0; the run after it and inspect see it recorded; a touch forgets it" {
	cp "$APP" v.qpod
	run "$QPOD" inspect v.qpod
	[ "$(jq -r .verified <<<"$output")" = false ]
	run "$QPOD" verify v.qpod
	[ "$status" -eq 0 ]
	[[ "$output" == "v.qpod: ok, sha256:"* ]]
	run "$QPOD" inspect v.qpod
	[ "$(jq -r .verified <<<"$output")" = true ]
	touch v.qpod
	run "$QPOD" inspect v.qpod
	[ "$(jq -r .verified <<<"$output")" = false ]
}

@test "tamper: one changed byte in each part, a header, the padding or the end: 125 naming it, no qemu" {
	local parts part off size
	# a launch config of its own: not the same bytes as the empty config {}
	"$QPOD" bundle -e X=1 "$IMAGES/busybox.tar" -o e.qpod > /dev/null
	parts=$("$QPOD" inspect e.qpod | jq -r '.parts[] | "\(.part)|\(.offset)|\(.size)"')
	[ "$(wc -l <<<"$parts")" -eq 16 ]
	while IFS='|' read -r part off size; do
		cp e.qpod t.qpod
		printf '\x7f' | dd of=t.qpod bs=1 seek=$((off + size / 2)) conv=notrunc status=none
		refused t.qpod
		echo "$part: $output"
		case $part in
		index.json) [[ "$output" == *"index.json"* || "$output" == *"the image index "* ]] ;;
		*) [[ "$output" == *"the $part "* ]] ;;
		esac
	done <<<"$parts"
	local size_all
	size_all=$(stat -c %s e.qpod)
	for off in 0 150 600 $((size_all - 1)) $((size_all - 700)); do
		cp e.qpod t.qpod
		printf '\x7f' | dd of=t.qpod bs=1 seek="$off" conv=notrunc status=none
		run --separate-stderr env PATH="$FAKEBIN:$PATH" "$QPOD" run t.qpod true
		echo "byte $off: $status $stderr"
		[ "$status" -eq 125 ]
		[[ "$stderr" != *fake-qemu-started* ]]
	done
}

@test "hostile bundles (test/bundle/mkhostile.py): each 125 with one line, no qemu, nothing outside the cache" {
	local token=b$$$RANDOM c n=0
	python3 "$REPO/test/bundle/mkhostile.py" "$APP" gen "$token"
	for c in $(python3 "$REPO/test/bundle/mkhostile.py" --list); do
		refused "gen/$c.qpod"
		echo "$c: $output"
		[[ "$output" == "qpod: gen/$c.qpod: "* ]]
		run "$QPOD" verify "gen/$c.qpod"
		[ "$status" -eq 125 ]
		n=$((n + 1))
	done
	[ "$n" -eq 29 ]
	[ -z "$(ls /tmp | grep -F "qpod-hostile-$token" || true)" ]
	[ -z "$(ls "$QPOD_CACHE/bundles" | grep -v -E '^([0-9a-f]{64}|verified)$' || true)" ]
}

@test "hostile: the messages name what is wrong" {
	python3 "$REPO/test/bundle/mkhostile.py" "$APP" gen tok > /dev/null
	local c want
	while IFS='|' read -r c want; do
		run --separate-stderr "$QPOD" verify "gen/$c.qpod"
		echo "$c: $stderr"
		[[ "$stderr" == *"$want"* ]]
	done <<-EOF
	truncated-half|truncated or damaged tar after
	truncated-end|bytes, a bundle of these members has
	blob-missing|the kernel (sha256:
	blob-duplicated|is duplicated
	blob-unreferenced|is not part of the bundle
	member-escapes|has no place in a bundle
	tar-size-beyond-file|truncated or damaged tar
	digest-escapes|is not sha256:<64 lowercase hex>
	size-absurd|absurd size
	size-outside-file|its descriptor says
	rootfs-not-squashfs|the rootfs is not a gzip squashfs
	kernel-not-elf|the kernel is neither an ELF nor a boot image of x86_64
	launch-bad-publish|the launch config: --publish 99999:80
	index-rewritten|index.json is not the one qpod writes
	EOF
}

@test "signatures: good runs and verifies; missing, another key's, or a changed one: 125 before boot" {
	ssh-keygen -q -t ed25519 -N '' -C ci -f key
	ssh-keygen -q -t ed25519 -N '' -C other -f other
	"$QPOD" bundle --sign key "$IMAGES/busybox.tar" -o s.qpod > /dev/null
	run "$QPOD" run --verify-key key.pub s.qpod echo signed
	[ "$status" -eq 0 ]
	[ "$output" = signed ]
	run "$QPOD" verify --verify-key key.pub s.qpod
	[ "$status" -eq 0 ]
	[[ "$output" == *"signature good"* ]]
	[ "$("$QPOD" inspect s.qpod | jq -r .signature.state)" = present ]
	[ "$("$QPOD" inspect --verify-key key.pub s.qpod | jq -r .signature.state)" = good ]
	[ "$("$QPOD" inspect --verify-key other.pub s.qpod | jq -r .signature.state)" = bad ]
	refused s.qpod --verify-key other.pub
	[[ "$output" == *"bad signature"* ]]
	cp "$APP" u.qpod
	refused u.qpod --verify-key key.pub
	[[ "$output" == *"not signed"* ]]
	run "$QPOD" verify --verify-key key.pub u.qpod
	[ "$status" -eq 125 ]
	# a signature of another bundle does not pass for this one
	"$QPOD" bundle -e X=1 --sign key "$IMAGES/busybox.tar" -o x.qpod > /dev/null
	cp x.qpod.sig u.qpod.sig
	refused u.qpod --verify-key key.pub
	[[ "$output" == *"bad signature"* ]]
	# a changed signature byte
	sed -i '3s/./A/5' s.qpod.sig
	refused s.qpod --verify-key key.pub
	run "$QPOD" run --verify-key key.pub "$IMAGES/busybox.tar" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not a bundle"* ]]
}

@test "launch config: the baked flags apply; the run line overrides each, -e of the same name in place" {
	"$QPOD" bundle --entrypoint /bin/sh -e A=baked -e B=kept -w /tmp -u 1000 -m 200m --cpus 1 --network none \
		"$IMAGES/busybox.tar" -o l.qpod > /dev/null
	[ "$("$QPOD" inspect l.qpod | jq -c .launch)" = '{"entrypoint":"/bin/sh","env":["A=baked","B=kept"],"workdir":"/tmp","user":"1000","memory":200,"cpus":1,"network":"none"}' ]
	run "$QPOD" run l.qpod -c 'echo $A $B; pwd; id -u; nproc; ls /sys/class/net | tr "\n" " "; awk "/MemTotal/ {print (\$2 < 210000)}" /proc/meminfo'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'baked kept\n/tmp\n1000\n1\nlo 1')" ]
	run "$QPOD" run -e A=run -w / -u 0 --cpus 2 --network user --entrypoint /bin/echo l.qpod over
	[ "$status" -eq 0 ]
	[ "$output" = over ]
	run "$QPOD" run -e A=run -w / -u 0 --cpus 2 --network user l.qpod -c 'echo $A $B; pwd; id -u; nproc; ls /sys/class/net | tr "\n" " "'
	[ "$output" = "$(printf 'run kept\n/\n0\n2\neth0 lo ')" ]
}

@test "bundle: run-only flags, a command after IMAGE and a missing -o are refused with one line" {
	local a
	for a in "-v /tmp:/x" "-t" "--timeout 5" "--kernel /x" "--read-only" "-h name"; do
		run --separate-stderr "$QPOD" bundle $a "$IMAGES/busybox.tar" -o r.qpod
		echo "$a: $stderr"
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"belongs on the run line"* ]]
		[ ! -e r.qpod ]
	done
	run --separate-stderr "$QPOD" bundle "$IMAGES/busybox.tar" -o r.qpod echo hi
	[ "$status" -eq 125 ]
	[[ "$stderr" == *'unexpected "echo"'* ]]
	run --separate-stderr "$QPOD" bundle "$IMAGES/busybox.tar"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"no output file"* ]]
}

@test "run flags keep their meaning: -i stdin, stderr apart, signals, --timeout, --result" {
	run --separate-stderr bash -c "echo from-stdin | '$QPOD' run -i '$APP' sh -c 'cat; echo err >&2'"
	[ "$status" -eq 0 ]
	[ "$output" = from-stdin ]
	[ "$stderr" = err ]
	run "$QPOD" run "$APP" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run "$QPOD" run --timeout 2 "$APP" sleep 60
	[ "$status" -eq 124 ]
	run "$QPOD" run --result r.json "$APP" sh -c 'exit 9'
	[ "$status" -eq 9 ]
	[ "$(jq -r .status r.json)" = 9 ]
	run -127 "$QPOD" run "$APP" /no/such/command
}

@test "signals sent to qpod run reach the command in a bundle" {
	"$QPOD" run "$APP" sh -c 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 1; done' > sig.out &
	local pid=$! i
	for i in $(seq 600); do grep -q ready sig.out 2>/dev/null && break; sleep 0.1; done
	grep -q ready sig.out
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 5 ]
	grep -q got-term sig.out
}

@test "self-contained: an installed qpod with no boot images, no out/ and an empty cache boots a bundle" {
	"$REPO/runner/install.sh" "$OUT" "$PWD/prefix" > /dev/null
	rm -rf "$PWD/prefix/share/qpod/images"
	cp "$APP" app.qpod
	run env -i PATH=/usr/bin:/bin HOME="$PWD/home" QPOD_CACHE="$PWD/fresh" "$PWD/prefix/bin/qpod" run app.qpod sh -c 'echo self-contained; uname -r'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'self-contained\n%s' "$(jq -r .kernel "$IMAGES/manifest.json")")" ]
	# the boot parts came from the bundle, by digest, into the cache
	[ -f "$PWD/fresh/bundles/$("$QPOD" inspect app.qpod | jq -r '.digest[7:]')/vmlinux" ]
	# and a plain image needs the boot images it no longer has
	run env -i PATH=/usr/bin:/bin HOME="$PWD/home" QPOD_CACHE="$PWD/fresh" "$PWD/prefix/bin/qpod" run "$IMAGES/busybox.tar" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"no boot images"* ]]
}

@test "a gzip-compressed bundle is no bundle: an ordinary OCI archive, unpacked by the packer" {
	gzip -c "$APP" > z.tar.gz
	run env QPOD_CACHE="$PWD/zc" "$QPOD" run z.tar.gz sh -c 'echo ran'
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ "$(ls zc/images | wc -l)" -eq 1 ]
	[ -d zc/images/*/rootfs ]
	[ ! -e zc/bundles ]
}

@test "examples/ci: the pipeline's commands build, self-test, sign and verify a bundle" {
	ssh-keygen -q -t ed25519 -N '' -C ci -f ci-key
	run env QPOD="$QPOD" IMAGE="$IMAGES/busybox.tar" SELFTEST="sh -c 'echo selftest ok'" SIGNING_KEY="$PWD/ci-key" \
		OUTPUT="$PWD/ci/app.qpod" sh "$REPO/examples/ci/pipeline.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"selftest ok"* ]]
	[ -s ci/app.qpod.sig ]
	run "$QPOD" verify --verify-key ci-key.pub ci/app.qpod
	[ "$status" -eq 0 ]
	grep -q 'examples/ci/pipeline.sh' "$REPO/examples/ci/github-actions.yml"
}
