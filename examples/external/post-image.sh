#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# post-image.sh IMAGES OUTDIR: runs last, reads IMAGES, writes into OUTDIR
# ($(O)/post-image/example). Here: the boot images and their manifest as
# one reproducible tar, as a deployment step would ship them.
set -eu
cd "$1"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	-cf "$2/boot.tar" vmlinuz vmlinux vmlinux-up initrd.img qboot.rom cmdline vm.conf manifest.json
