#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkbusybox.sh BUSYBOX OUT [ARCH [VARIANT]]: write the default image, a
# docker-archive of a static busybox, reproducibly (same BUSYBOX +
# SOURCE_DATE_EPOCH = same bytes). ARCH (default amd64) and VARIANT are the
# config's; a BUSYBOX of another arch runs under $BUSYBOX_RUN (qemu-user).
#
# One layer: /bin/busybox, a symlink per applet (`busybox --list`) in /bin,
# /etc/passwd and /etc/group with root, qpod (1000) and nobody, /root 0700,
# /home/qpod owned 1000:1000, /tmp 1777, empty /dev /proc /sys.
# Config: Cmd ["sh"], Env PATH, no Entrypoint, linux/ARCH[/VARIANT].
# The archive lists manifest.json, then the config, then the layer, so a
# reader can apply it in one pass even from a pipe.
set -eu
bb=$1 out=$2 arch=${3:-amd64} variant=${4:-}
run=${BUSYBOX_RUN:-}
sde=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$bb")}
export LC_ALL=C TZ=UTC
work=$(mktemp -d "${TMPDIR:-/tmp}/qpod-busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root

mkdir -p "$root"/bin "$root"/etc "$root"/dev "$root"/proc "$root"/sys "$root"/tmp "$root"/root "$root"/home/qpod
cp "$bb" "$root"/bin/busybox
for a in $($run "$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'qpod:x:1000:1000:qpod:/home/qpod:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$root"/etc/passwd
printf '%s\n' 'root:x:0:' 'qpod:x:1000:' 'nogroup:x:65534:' > "$root"/etc/group
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root"/bin/busybox
chmod 1777 "$root"/tmp
chmod 0700 "$root"/root

# The layer: everything as 0:0, then /home/qpod appended as 1000:1000.
set -- --format=gnu --no-recursion --numeric-owner "--mtime=@$sde"
(cd "$root" && find . -mindepth 1 ! -path ./home/qpod | sed 's|^\./||' | sort) > "$work"/list
tar -C "$root" -cf "$work"/layer.tar "$@" --owner=0 --group=0 -T "$work"/list
tar -C "$root" -rf "$work"/layer.tar "$@" --owner=1000 --group=1000 home/qpod
diffid=$(sha256sum "$work"/layer.tar | cut -c1-64)

created=$(date -u -d "@$sde" +%Y-%m-%dT%H:%M:%SZ)
# shellcheck disable=SC1003 # tr deletes " and \ (JSON-unsafe)
version=$($run "$bb" 2>&1 | head -1 | tr -d '"\\')
printf '{"architecture":"%s",%s"config":{"Cmd":["sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"},"created":"%s","history":[{"created":"%s","created_by":"qpod packer/mkbusybox.sh: %s"}],"os":"linux","rootfs":{"diff_ids":["sha256:%s"],"type":"layers"}}' \
	"$arch" "${variant:+\"variant\":\"$variant\",}" "$created" "$created" "$version" "$diffid" > "$work"/config.json
cfg=$(sha256sum "$work"/config.json | cut -c1-64)
mv "$work"/config.json "$work/$cfg.json"
mv "$work"/layer.tar "$work/$diffid.tar"
printf '[{"Config":"%s.json","RepoTags":["qpod/busybox:latest"],"Layers":["%s.tar"]}]\n' "$cfg" "$diffid" > "$work"/manifest.json

tar -C "$work" -cf "$out.tmp" --format=gnu --no-recursion --numeric-owner --owner=0 --group=0 \
	--mtime="@$sde" --mode=0644 manifest.json "$cfg.json" "$diffid.tar"
mv "$out.tmp" "$out"
