#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hostile.bats: archives built to attack or break the packer
# (test/packer/mkhostile.py makes them at test time, one per case).
#
# A refused case must: exit 125 with exactly one line on stderr that names
# the archive member or entry at fault, leave no cache entry and an empty
# tmp/, and write nothing outside the cache (a canary listing of the test's
# directory, and the host paths an escape would hit, are checked).
# An accepted case must land inside the rootfs exactly where the guest will
# see it.
#
# Directory variants: where mkhostile.py could write the case as an image
# directory too (GEN/<case>.d: the outer archive's members as files), every
# refuse and accept runs it as well: the same verdict and message, and for an
# accepted case the same tree. Cases that exist only as directories (dir_*)
# are at the end.
bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	export QPOD_OUT=${QPOD_OUT:-$PWD/out}
	export PACK=$QPOD_OUT/obj/packer/qpod-pack
	[ -x "$PACK" ] || { echo "# $PACK missing: make O=... packer" >&3; return 1; }
	export TOKEN=h$$$RANDOM
	export GEN=$BATS_FILE_TMPDIR/gen
	"$BATS_TEST_DIRNAME/packer/mkhostile.py" "$GEN" "$TOKEN"
}

setup() {
	export AREA=$BATS_TEST_TMPDIR/area
	export QPOD_CACHE=$AREA/cache
	mkdir -p "$AREA/canary"
	echo canary > "$AREA/canary/file"
	find "$AREA" > "$BATS_TEST_TMPDIR/before"
}

# A rootfs's symlinks and special files. As root they are what they are.
# Without root they are regular files that qemu's mapped-xattr share shows
# the guest as the image has them (packer/layer/mapped.c): the type and
# mode in user.virtfs.mode, a symlink's target as the file's contents.
vmode() { # vmode PATH: the mapped-xattr mode in octal, or nothing
	python3 -c 'import os, sys; print("%o" % int.from_bytes(os.getxattr(sys.argv[1], "user.virtfs.mode"), "little"))' "$1" 2>/dev/null
}
is_link() {
	if [ "$(id -u)" = 0 ]; then
		[ -L "$1" ]
		return
	fi
	[ -f "$1" ] || return 1
	[ ! -L "$1" ] || return 1
	[ "$(vmode "$1")" = 120777 ]
}
link_of() {
	if [ "$(id -u)" = 0 ]; then readlink "$1"; else cat "$1"; fi
}

# Nothing named after the token exists outside a rootfs; nothing new appeared
# next to the cache.
no_escape() {
	local hits
	hits=$(find /tmp "$BATS_TEST_TMPDIR" "$BATS_FILE_TMPDIR" -maxdepth 8 -name "*qpod-hostile-$TOKEN*" \
		-not -path "*/images/*/rootfs/*" 2>/dev/null || true)
	[ -z "$hits" ] || { echo "escaped: $hits"; return 1; }
	[ ! -e "/qpod-hostile-$TOKEN" ]
	[ ! -e "/etc/qpod-hostile-$TOKEN" ]
	diff <(find "$AREA" -path "$QPOD_CACHE" -prune -o -print) <(grep -v "^$QPOD_CACHE" "$BATS_TEST_TMPDIR/before")
	[ "$(cat "$AREA/canary/file")" = canary ]
}

refuse_one() { # refuse_one PATH TEXT [OPTIONS...]
	local p=$1 text=$2
	shift 2
	run --separate-stderr "$PACK" --no-progress "$@" "$p"
	echo "$p: status $status"
	echo "stderr: $stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	# shellcheck disable=SC2053 # TEXT may hold * wildcards
	[[ "$stderr" == "qpod: $p: "*$text* ]]
	[ -z "$output" ]
	[ -z "$(ls -A "$QPOD_CACHE/images")" ]
	[ -z "$(ls -A "$QPOD_CACHE/tmp")" ]
	[ -z "$(ls -A "$QPOD_CACHE/refs")" ]
	no_escape
}

refuse() { # refuse CASE TEXT [OPTIONS...]: the archive, and its directory variant
	local c=$1
	shift
	refuse_one "$GEN/$c.tar" "$@"
	[ ! -d "$GEN/$c.d" ] || refuse_one "$GEN/$c.d" "$@"
}

refuse_dir() { # refuse_dir CASE TEXT [OPTIONS...]: a case that is only a directory
	local c=$1
	shift
	refuse_one "$GEN/$c.d" "$@"
}

tree() { # tree DIR: a digest of paths, types, modes, sizes, link targets and contents
	(
		cd "$1" || exit 1
		find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	) | sha256sum
}

accept_one() { # accept_one PATH [OPTIONS...]: sets R
	local p=$1
	shift
	run --separate-stderr "$PACK" --no-progress "$@" "$p"
	echo "$p: status $status, stderr: $stderr"
	[ "$status" -eq 0 ]
	R=$(jq -r .rootfs <<<"$output")
	[ -d "$R" ]
	no_escape
}

accept() { # accept CASE [OPTIONS...]: sets R (the archive's); the directory variant makes the same tree
	local c=$1 want
	shift
	if [ -d "$GEN/$c.d" ]; then
		accept_one "$GEN/$c.d" "$@"
		want=$(tree "$R")
		rm -rf "$QPOD_CACHE"
	fi
	accept_one "$GEN/$c.tar" "$@"
	[ -z "$want" ] || [ "$(tree "$R")" = "$want" ]
}

# ---- names that climb out of the root ------------------------------------

@test "entry ../../../tmp/x is refused, naming the entry" {
	refuse dotdot "layer "*"/layer.tar: entry \"../../../../../../../tmp/qpod-hostile-$TOKEN\" climbs out of the root"
}

@test "entry bin/../../x is refused" {
	refuse dotdot_middle "entry \"bin/../../qpod-hostile-$TOKEN\" climbs out of the root"
}

@test "a directory ../x/ is refused" {
	refuse dotdot_dir "climbs out of the root"
}

@test "a symlink named ../x is refused" {
	refuse dotdot_symlink_name "entry \"../qpod-hostile-$TOKEN\" climbs out of the root"
}

@test "bin/../etc/x stays inside and is accepted" {
	accept dotdot_inside
	[ "$(cat "$R/etc/inside")" = ok ]
}

@test "absolute member names land inside the rootfs" {
	accept absolute_names
	[ "$(cat "$R/etc/qpod-hostile-$TOKEN")" = inside ]
	[ "$(cat "$R/bin/abs")" = abs ]
}

@test "a hardlink whose target climbs out is refused" {
	refuse hardlink_out "entry \"bin/pw\": hardlink target \"../../../../../../../etc/passwd\" climbs out of the root"
}

@test "a hardlink through a symlink to /etc resolves inside the rootfs" {
	refuse hardlink_abs_parent "entry \"bin/pw\": hardlink target \"hostetc/shadow\" does not exist"
	accept hardlink_through_symlink_dir
	[ "$(cat "$R/bin/pw")" = "root:x:0:0::/root:/bin/sh" ]
	[ "$(stat -c %i "$R/bin/pw")" = "$(stat -c %i "$R/etc/passwd")" ]
	[ "$(stat -c %h /etc/passwd)" -eq 1 ]
}

@test "a hardlink to a symlink links the symlink itself" {
	accept hardlink_to_symlink
	is_link "$R/hl"
	[ "$(link_of "$R/hl")" = /etc/passwd ]
	[ "$(stat -c %i "$R/hl")" = "$(stat -c %i "$R/ln")" ]
}

@test "whiteout .wh... (names ..) is refused" {
	refuse whiteout_dotdot 'entry "etc/.wh...": whiteout names no file'
}

@test "whiteout .wh.../x (a whiteout used as a directory) is refused" {
	refuse whiteout_dotdot_dir "entry \".wh.../qpod-hostile-$TOKEN\": a whiteout name used as a directory"
}

@test "whiteout ../.wh.x is refused" {
	refuse whiteout_climb "climbs out of the root"
}

@test "whiteout .wh. with no name is refused" {
	refuse whiteout_empty 'entry "etc/.wh.": whiteout names no file'
}

@test "a name component longer than NAME_MAX is refused" {
	refuse long_component "name too long"
}

@test "a symlink loop in a parent is refused" {
	refuse symlink_loop 'entry "a/x": parent directory: Too many levels of symbolic links'
}

@test "an entry that would replace the root with a symlink is refused" {
	refuse root_replaced 'entry "." would replace the root with a non-directory'
}

@test "a dangling symlink in the way of a parent directory is refused" {
	refuse dangling_parent 'entry "gone/x": a dangling symlink is in the way'
}

# ---- symlinks are resolved inside the root ---------------------------------

@test "evil -> /tmp, then evil/x in the same layer lands in the rootfs's tmp/" {
	accept symlink_tmp_same_layer
	[ "$(link_of "$R/evil")" = /tmp ]
	[ "$(cat "$R/tmp/qpod-hostile-$TOKEN")" = inside ]
	[ ! -e "/tmp/qpod-hostile-$TOKEN" ]
}

@test "evil -> /tmp, then evil/x in a later layer lands in the rootfs's tmp/" {
	accept symlink_tmp_later_layer
	[ "$(cat "$R/tmp/qpod-hostile-$TOKEN")" = inside ]
	[ ! -e "/tmp/qpod-hostile-$TOKEN" ]
}

@test "up -> ../../../../.., then up/x lands at the rootfs's top" {
	accept symlink_dotdot_later_layer
	[ "$(link_of "$R/up")" = ../../../../.. ]
	[ "$(cat "$R/qpod-hostile-$TOKEN")" = inside ]
}

@test "merged /usr: bin -> usr/bin, then bin/foo lands in usr/bin/foo" {
	accept merged_usr
	is_link "$R/bin"
	[ "$(link_of "$R/bin")" = usr/bin ]
	[ "$(cat "$R/usr/bin/foo")" = foo ]
	[ -x "$R/usr/bin/foo" ]
	[ -f "$R/usr/bin/sh" ]
}

@test "a directory over a symlink replaces the symlink, not its target" {
	accept dir_over_symlink
	[ -d "$R/l" ]
	[ ! -L "$R/l" ]
	[ "$(cat "$R/l/f")" = f ]
	[ ! -e /etc/f ] || [ "$(stat -c %Y /etc/f)" -lt 1800000000 ]
}

@test "a symlink over a directory replaces the whole directory" {
	accept symlink_over_dir
	is_link "$R/s"
	[ "$(link_of "$R/s")" = /bin ]
}

@test "a file over a directory removes the directory tree first" {
	accept file_over_dir
	[ -f "$R/d" ]
	[ "$(cat "$R/d")" = "now a file" ]
}

# ---- archive-level paths ----------------------------------------------------

@test "manifest.json Config ../x is refused" {
	refuse manifest_config_escape "manifest.json: config path \"../qpod-hostile-$TOKEN.json\" escapes the archive"
}

@test "manifest.json Config /etc/passwd is refused" {
	refuse manifest_config_abs 'manifest.json: config path "/etc/passwd" escapes the archive'
}

@test "manifest.json Layers ../../x and /x are refused" {
	refuse manifest_layer_escape 'manifest.json: layer path "../../../../etc/passwd" escapes the archive'
	refuse manifest_layer_abs 'manifest.json: layer path "/etc/passwd" escapes the archive'
}

@test "an in-archive symlink that escapes the archive is refused" {
	refuse archive_symlink_escape 'manifest.json: layer path "l/layer.tar" escapes the archive'
}

@test "an OCI blob that is a symlink out of the archive is refused" {
	refuse index_blob_symlink_escape "is a link that escapes the archive"
}

@test "a layer the manifest names but the archive lacks is refused" {
	refuse_one "$GEN/manifest_missing_layer.tar" "manifest.json lists 2 layers, the config's rootfs.diff_ids 1"
	# a directory is indexed whole before the plan: the missing member is named first
	refuse_one "$GEN/manifest_missing_layer.d" 'manifest.json: layer "nothere/layer.tar" is not in the archive'
}

@test "broken or hostile manifest.json is refused" {
	refuse manifest_not_json "manifest manifest.json is not valid JSON"
	refuse manifest_too_deep "manifest manifest.json is not valid JSON"
	refuse not_an_image "not an image archive (no manifest.json, index.json or repositories)"
	refuse duplicate_member 'two members are named "l.tar"'
}

# ---- digests -------------------------------------------------------------------

@test "a layer whose content does not match rootfs.diff_ids is refused" {
	refuse diff_id_mismatch "/layer.tar: diff_id mismatch: the uncompressed layer is sha256:"
}

@test "a layer whose content does not match its <digest>.tar name is refused" {
	refuse layer_name_digest_mismatch ".tar: digest mismatch: the member's name says sha256:"
}

@test "a config whose content does not match its sha256:<hex> name is refused" {
	refuse config_digest_mismatch "config sha256:0000000000000000000000000000000000000000000000000000000000000000: digest mismatch"
}

@test "OCI: a blob that does not match its descriptor is refused" {
	refuse oci_blob_digest_mismatch "layer blobs/sha256/"*": digest mismatch: the blob is sha256:"
	refuse oci_blob_size_mismatch "size mismatch: the blob has"
	refuse oci_config_digest_mismatch "config blobs/sha256/"*": digest mismatch"
	refuse oci_config_missing "config blob sha256:111111111111... is not in the archive"
	refuse oci_missing_blob "layer blob sha256:222222222222... is not in the archive"
	refuse oci_sha512 "only sha256 is supported"
}

# ---- broken streams ---------------------------------------------------------------

@test "a truncated layer tar is refused" {
	refuse truncated_tar "layer "*": entry \"bin/big\": Truncated tar archive"
}

@test "a truncated gzip layer is refused" {
	refuse truncated_gzip "truncated gzip input"
}

@test "a corrupt gzip layer is refused" {
	refuse corrupt_gzip "/layer.tar: "
}

@test "a corrupt zstd layer is refused" {
	refuse corrupt_zstd "Zstd decompression failed"
}

@test "a truncated zstd layer is refused" {
	refuse truncated_zstd "Truncated zstd input"
}

@test "a truncated archive, plain or gzip, is refused" {
	refuse truncated_outer "member "*"/layer.tar: Truncated tar archive"
	refuse truncated_outer_gzip "truncated gzip input"
}

@test "a layer in an unsupported compression, or not a tar, is refused" {
	refuse garbage_layer "compressed with lz4"
	refuse not_tar_layer "not a tar stream"
}

# ---- limits -------------------------------------------------------------------------

@test "a layer that expands beyond --max-bytes is refused" {
	refuse big_file "expands beyond the limit of 102400 bytes (--max-bytes)" --max-bytes 100K
	refuse gzip_bomb "expands beyond the limit of 102400 bytes" --max-bytes 100K
	accept big_file
}

@test "a layer with more entries than --max-entries is refused" {
	refuse many_entries "more than 50 entries" --max-entries 50
	accept many_entries
}

# ---- special files and metadata ------------------------------------------------------

@test "no device node on the host: skipped with one warning as root, placeholders otherwise; a fifo is made" {
	accept device_nodes
	[ -z "$(find "$QPOD_CACHE" -type b -o -type c)" ]
	if [ "$(id -u)" = 0 ]; then
		[ ! -e "$R/dev/null" ]
		[ ! -e "$R/dev/sda" ]
		[ -p "$R/dev/fifo" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"skipped 2 device nodes (the guest's /dev is devtmpfs)"* ]]
	else
		# empty files whose xattrs say char 1:3, char 8:0, fifo
		[ -f "$R/dev/null" ]
		[ ! -s "$R/dev/null" ]
		[ "$(vmode "$R/dev/null")" = 20666 ]
		[ "$(vmode "$R/dev/sda")" = 20666 ]
		[ "$(python3 -c 'import os, sys; print(os.major(int.from_bytes(os.getxattr(sys.argv[1], "user.virtfs.rdev"), "little")))' "$R/dev/sda")" = 8 ]
		[ -f "$R/dev/fifo" ]
		[ "$(vmode "$R/dev/fifo")" = 10644 ]
		[ "${#stderr_lines[@]}" -eq 0 ]
	fi
}

@test "setuid, setgid and sticky bits and owners are kept as root, dropped on the host otherwise" {
	accept setuid
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c %a "$R/bin/su")" = 4755 ]
		[ "$(stat -c %a "$R/bin/wall")" = 2755 ]
		[ "$(stat -c %a "$R/stick")" = 1777 ]
		[ "$(stat -c %g "$R/bin/wall")" = 5 ]
	else
		[ "$(stat -c %a "$R/bin/su")" = 755 ]
		[ "$(stat -c %a "$R/bin/wall")" = 755 ]
		[ "$(stat -c %a "$R/stick")" = 1755 ]
	fi
}

@test "xattrs are kept" {
	accept xattrs
	[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.qpod").decode())' "$R/bin/cap")" = yes ]
}

@test "an opaque whiteout keeps what its own layer wrote, before and after it" {
	accept opaque_same_layer
	[ "$(ls "$R/o" | tr '\n' ' ')" = "after before " ]
}

@test "a whiteout hides lower layers only, not its own layer" {
	accept whiteout_same_layer
	[ -f "$R/w2" ]
	[ ! -e "$R/w1" ]
}

@test "missing parent directories are created (0755)" {
	accept parents_missing
	[ "$(stat -c %a "$R/deep/er")" = 755 ]
	[ -f "$R/deep/er/file" ]
}

@test "zstd layers and an empty layer are applied" {
	accept zstd_layers
	[ "$(cat "$R/z")" = zstd ]
	accept empty_layer
	[ -f "$R/etc/passwd" ]
}

@test "an arm64 docker-archive says so for --platform linux/amd64, and is taken as it is without one" {
	refuse arm64_only "the image is linux/arm64, not linux/amd64 (--platform linux/arm64 unpacks it anyway)" --platform linux/amd64
	accept arm64_only --platform linux/arm64
	accept arm64_only
}

@test "the user-space resolver (no openat2) passes the same cases" {
	QPOD_NO_OPENAT2=1 accept symlink_tmp_later_layer
	[ "$(cat "$R/tmp/qpod-hostile-$TOKEN")" = inside ]
	rm -rf "$QPOD_CACHE"
	QPOD_NO_OPENAT2=1 accept merged_usr
	[ "$(cat "$R/usr/bin/foo")" = foo ]
	rm -rf "$QPOD_CACHE"
	QPOD_NO_OPENAT2=1 accept symlink_dotdot_later_layer
	[ "$(cat "$R/qpod-hostile-$TOKEN")" = inside ]
	rm -rf "$QPOD_CACHE"
	QPOD_NO_OPENAT2=1 refuse symlink_loop "Too many levels of symbolic links"
}

# ---- image directories only -------------------------------------------------------

@test "a directory: a blob symlink to /etc/passwd or out through .. is refused" {
	refuse_dir dir_blob_symlink_abs "layer blob blobs/sha256/"*" is a link that escapes the archive"
	refuse_dir dir_blob_symlink_dotdot "is a link that escapes the archive"
}

@test "a directory: blobs/ a symlink to a directory outside finds no blob" {
	refuse_dir dir_blobs_symlinked "manifest blob sha256:"*"is not in the archive"
}

@test "a directory: an index.json beyond the JSON limit is refused unread" {
	refuse_dir dir_index_huge "member index.json is 17825835 bytes, more than the limit of 16777216"
}

@test "a directory: a layer path with .. is refused even when the file exists outside" {
	refuse_dir dir_layer_dotdot 'manifest.json: layer path "../outside/layer.tar" escapes the archive'
}

@test "a directory: a FIFO as a layer is refused without opening it" {
	run timeout 10 "$PACK" --no-progress "$GEN/dir_layer_fifo.d"
	[ "$status" -eq 125 ]
	refuse_dir dir_layer_fifo 'manifest.json: layer "l/layer.tar" is not a file'
}

@test "a directory: a tree nested too deep is refused" {
	refuse_dir dir_too_deep "directories nested more than 16 deep"
}

@test "a directory: the user-space resolver (no openat2) refuses the same escapes" {
	QPOD_NO_OPENAT2=1 refuse_dir dir_blob_symlink_dotdot "is a link that escapes the archive"
	QPOD_NO_OPENAT2=1 accept symlink_tmp_later_layer
}
