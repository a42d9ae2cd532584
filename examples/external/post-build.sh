#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# post-build.sh IMAGES: runs once the images are built, before the SBOM and
# manifest.json, which then list what it adds. Here: SHA256SUMS of the boot
# images, in the form sha256sum -c reads.
set -eu
cd "$1"
sha256sum vmlinuz vmlinux vmlinux-up initrd.img qboot.rom > SHA256SUMS
