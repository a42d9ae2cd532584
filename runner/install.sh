#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# install.sh OUT PREFIX: the runner as PREFIX/bin/qpod and the boot images it
# needs in PREFIX/share/qpod/images, where an installed runner looks first.
set -eu
out=$1 prefix=$2
images="$prefix/share/qpod/images"
mkdir -p "$prefix/bin" "$images"
install -m 0755 "$out/bin/qpod" "$prefix/bin/qpod"
for f in vmlinuz vmlinux vmlinux-up kernel-up.config initrd.img qboot.rom bios-qboot.bin cbfs.rom cmdline vm.conf kernel.config manifest.json busybox.tar; do
	[ -f "$out/images/$f" ] && install -m 0644 "$out/images/$f" "$images/$f"
done
"$(dirname "$0")/../toolchain/host.sh"
echo "installed $prefix/bin/qpod and $images"
