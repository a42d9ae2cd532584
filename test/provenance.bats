#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# provenance.bats: what `make image` says of what it ships. The SBOM
# ($IMAGES/sbom.spdx.json) against SPDX 2.3's published JSON schema
# (test/schemas/, python3-jsonschema) and against manifest.json, its
# licences against the SPDX lists (Debian's node-spdx-license-ids and
# node-spdx-exceptions), its versions and buildinfo.json's against dpkg;
# a file without provenance fails the build; make legal-info covers every
# shipped file.

load helpers

fail() { echo "$*" >&2; return 1; }

SCHEMA=$REPO/test/schemas/spdx-schema-2.3.json

# dver PKG [source:]: the installed version (or its source's), one line
# however many architectures have it (Multi-Arch: same, one version)
dver() { dpkg-query -W -f="\${${2:-}Version}\n" "$1" | sort -u; }

# spdx_valid FILE: no error against the schema (formats checked too), or
# each error on a line.
spdx_valid() {
	python3 - "$SCHEMA" "$1" <<'EOF'
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
errors = list(jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(doc))
for e in errors:
    print("/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errors else 0)
EOF
}

@test "the SBOM is valid SPDX 2.3, by the published schema" {
	need_images sbom.spdx.json
	run spdx_valid "$IMAGES/sbom.spdx.json"
	[ "$status" = 0 ] || fail "sbom.spdx.json fails the SPDX 2.3 schema: $output"
	# The check itself: a document without its version fails it.
	jq 'del(.spdxVersion)' "$IMAGES/sbom.spdx.json" > "$BATS_TEST_TMPDIR/bad.json"
	run spdx_valid "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" = 1 ] || fail "the schema check passed a document without spdxVersion"
}

@test "every file of manifest.json is in the SBOM with the same sha256, a licence and a versioned source" {
	need_images manifest.json sbom.spdx.json
	local s=$IMAGES/sbom.spdx.json name sum n=0 bad=
	while read -r name sum; do
		[ "$name" != sbom.spdx.json ] || continue # it cannot hold its own sha256
		n=$((n + 1))
		[ "$(jq -r --arg f "./$name" '.files[] | select(.fileName == $f) | .checksums[] | select(.algorithm == "SHA256") | .checksumValue' "$s")" = "$sum" ] ||
			bad="$bad $name:sha256"
		[ "$(jq -r --arg f "./$name" '.files[] | select(.fileName == $f) | .licenseConcluded' "$s")" != NOASSERTION ] ||
			bad="$bad $name:licence"
		jq -e --arg f "./$name" '(.files[] | select(.fileName == $f) | .SPDXID) as $id
			| [.relationships[] | select(.spdxElementId == $id and .relationshipType == "GENERATED_FROM")
			| .relatedSpdxElement] as $src | $src | length > 0 and all(. as $p
			| any($doc.packages[]; .SPDXID == $p and (.versionInfo | length) > 0))' --argjson doc "$(cat "$s")" "$s" >/dev/null ||
			bad="$bad $name:source"
	done < <(jq -r '.files[] | "\(.name) \(.sha256)"' "$IMAGES/manifest.json")
	[ "$n" -ge 13 ] || fail "manifest.json lists only $n files"
	[ "$(jq '.files | length' "$s")" = "$n" ] || fail "the SBOM has $(jq '.files | length' "$s") files, manifest.json $n others"
	[ -z "$bad" ] || fail "wrong in the SBOM:$bad"
}

@test "the SBOM's Debian packages are at dpkg's versions, and its licences are SPDX identifiers" {
	need_images sbom.spdx.json
	local s=$IMAGES/sbom.spdx.json purl pkg ver id bad=
	while read -r purl; do
		pkg=${purl#pkg:deb/debian/} ver=${pkg#*@} ver=${ver%%\?*} pkg=${pkg%%@*}
		[ "$(dver $pkg)" = "$ver" ] || bad="$bad $pkg=$ver"
	done < <(jq -r '.packages[].externalRefs[]?.referenceLocator' "$s")
	[ "$(jq -r '[.packages[] | select(.name == "linux") | .versionInfo] | unique | .[]' "$s")" = "$(dver linux-source-6.1 source:)" ] ||
		bad="$bad linux"
	for id in $(jq -r '[.files[].licenseConcluded, .packages[].licenseConcluded] | .[]' "$s" | tr -d '()' | tr ' ' '\n' |
		grep -v -e '^AND$' -e '^OR$' -e '^WITH$' -e '^NOASSERTION$' -e '^LicenseRef-' | sort -u); do
		jq -e --arg i "$id" 'index($i) != null' /usr/share/nodejs/spdx-license-ids/index.json /usr/share/nodejs/spdx-exceptions/index.json |
			grep -q true || bad="$bad licence:$id"
	done
	[ -z "$bad" ] || fail "not as dpkg or SPDX has them:$bad"
}

@test "buildinfo.json names the compiler, musl, linux-source, qemu source and busybox as dpkg and qboot.hash have them" {
	need_images buildinfo.json
	local b=$IMAGES/buildinfo.json
	[ "$(jq -r .compiler.version "$b")" = "$(dver gcc-12)" ] || fail "compiler"
	[ "$(jq -r .compiler.text "$b")" = "$(LC_ALL=C gcc --version | head -n 1)" ] || fail "compiler text"
	[ "$(jq -r .musl.version "$b")" = "$(dver musl-dev)" ] || fail "musl"
	[ "$(jq -r .linux_source.version "$b")" = "$(dver linux-source-6.1)" ] || fail "linux-source"
	[ "$(jq -r .qemu_source.sha256 "$b")" = "$(awk '$1 == "sha256" { print $2 }' "$REPO/firmware/qboot.hash")" ] || fail "qemu source"
	[ "$(jq -r .busybox.version "$b")" = "$(dver busybox-static)" ] || fail "busybox"
	[ "$(jq -r '.kernel_keys.vmlinux' "$b")" = "$(jq -r '.kernel_keys.vmlinux' "$IMAGES/manifest.json")" ] || fail "kernel key"
}

@test "a shipped file that toolchain/provenance does not name fails the SBOM, naming it" {
	need_images sbom.spdx.json
	local t=$BATS_TEST_TMPDIR
	cp -r "$IMAGES" "$t/images"
	echo stray > "$t/images/stray.bin"
	run "$REPO/toolchain/sbom.py" "$t/images" "$OUT/obj"
	[ "$status" != 0 ] || fail "sbom.py described a file nobody accounts for"
	[[ $output == *"no provenance for stray.bin"* ]] || fail "the failure does not name the file: $output"
}

@test "make legal-info: every shipped file with its sources and licences, the licence texts, each source package's .dsc" {
	need_images manifest.json sbom.spdx.json
	run make -C "$REPO" -s legal-info
	echo "$output" | tail -n 5
	[ "$status" = 0 ] || fail "make legal-info failed"
	local l=$OUT/legal-info name sum bad= f src ver dsc sha state
	for name in $(jq -r '.files[].name' "$IMAGES/manifest.json" | grep -vx sbom.spdx.json) bin/qpod bundle:launch.json bundle:rootfs.squashfs; do
		grep -q "^$name," "$l/manifest.csv" || bad="$bad $name"
	done
	[ -z "$bad" ] || fail "manifest.csv lacks:$bad"
	while IFS=, read -r name sum _; do
		case $name in bundle:*) continue ;; bin/*) f=$OUT/$name ;; *) f=$OUT/images/$name ;; esac
		[ "$(sha256sum < "$f" | cut -c1-64)" = "$sum" ] || bad="$bad $name"
	done < <(tail -n +2 "$l/manifest.csv")
	[ -z "$bad" ] || fail "manifest.csv's sha256 is not the file's:$bad"
	for f in linux-source-6.1 busybox-static musl-dev qemu-system-data libgcc-12-dev; do
		cmp -s "$l/licenses/$f.copyright" "/usr/share/doc/$f/copyright" || bad="$bad $f"
	done
	cmp -s "$l/licenses/qpod/LICENSE" "$REPO/LICENSE" || bad="$bad qpod"
	[ -z "$bad" ] || fail "licence texts missing:$bad"
	while IFS=, read -r src ver _ dsc sha state; do
		case $state in
		fetched)
			[ "$(sha256sum < "$l/sources/$dsc" | cut -c1-64)" = "$sha" ] || bad="$bad $dsc:sha256"
			grep -qx "Version: ${ver#*:}\|Version: $ver" "$l/sources/$dsc" || bad="$bad $dsc:version" ;;
		missing) [[ $sha =~ ^[0-9a-f]{64}$ ]] || bad="$bad $dsc:unpinned" ;;
		superseded) echo "# $src $ver: no longer in Debian's index (this machine has an older package)" >&3 ;;
		*) bad="$bad $src:$state" ;;
		esac
	done < <(tail -n +2 "$l/sources.csv")
	[ -z "$bad" ] || fail "sources.csv:$bad"
	grep -q '^musl,1.2.3-1,' "$l/sources.csv" || fail "musl is not among the source packages"
	cmp -s "$l/sources/linux-source-6.1.tar.xz" /usr/src/linux-source-6.1.tar.xz || fail "the kernel's source is not there"
	tar -tf "$l/sources/qboot-7.2+dfsg.tar" | grep -qx qboot/main.c || fail "qboot's source is not there"
}

@test "a bundle carries the images' SBOM: qpod inspect shows it, and which parts it lists by digest" {
	need_images sbom.spdx.json busybox.tar
	local t=$BATS_TEST_TMPDIR part file
	run "$QPOD" bundle "$IMAGES/busybox.tar" -o "$t/app.qpod"
	[ "$status" = 0 ] || fail "qpod bundle failed: $output"
	run "$QPOD" inspect "$t/app.qpod"
	[ "$status" = 0 ] || fail "qpod inspect failed: $output"
	echo "$output" > "$t/inspect.json"
	jq .sbom.document "$t/inspect.json" > "$t/sbom.json"
	[ "$(jq -S . "$t/sbom.json")" = "$(jq -S . "$IMAGES/sbom.spdx.json")" ] || fail "the bundle's SBOM is not the images'"
	run spdx_valid "$t/sbom.json"
	[ "$status" = 0 ] || fail "the bundle's SBOM fails the SPDX 2.3 schema: $output"
	[ "$(jq -c .sbom.listed "$t/inspect.json")" = '["kernel","kernel-up","initrd","firmware","vm.conf"]' ] ||
		fail "listed: $(jq -c .sbom.listed "$t/inspect.json")"
	[ "$(jq -c .sbom.not_listed "$t/inspect.json")" = '["cmdline","launch","rootfs","image layer"]' ] ||
		fail "not listed: $(jq -c .sbom.not_listed "$t/inspect.json")"
	for part in kernel:vmlinux kernel-up:vmlinux-up initrd:initrd.img firmware:qboot.rom; do
		file=${part#*:} part=${part%%:*}
		[ "$(jq -r --arg p "$part" '.parts[] | select(.part == $p) | .digest[7:]' "$t/inspect.json")" = \
			"$(jq -r --arg f "./$file" '.files[] | select(.fileName == $f) | .checksums[] | select(.algorithm == "SHA256") | .checksumValue' "$t/sbom.json")" ] ||
			fail "the SBOM's sha256 of $file is not the bundle's $part"
	done
}
