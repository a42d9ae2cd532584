# SPDX-License-Identifier: Apache-2.0
# arm64: an arm64 guest, as the build makes it (runner/vm/arch.c has what the
# runner needs: qemu's program, CPU, boot files). Makefile includes the
# arch.mk of ARCH (default: the host's); the variables are explained in
# configs/arch/x86_64/arch.mk.
#
# qemu's virt machine (configs/arch/arm64/vm.conf) boots the kernel's Image
# directly (-kernel, no firmware) with a device tree qemu makes. There is
# no uniprocessor kernel: SMP is not optional on arm64.

ARCH_DEB         := arm64
ARCH_UNAME       := aarch64
ARCH_OCI         := arm64
ARCH_OCI_VARIANT := v8
ARCH_TRIPLET     := aarch64-linux-gnu
ARCH_MUSL_CC     := aarch64-linux-musl-gcc
ARCH_KERNEL      := arm64
ARCH_KIMAGE      := arch/arm64/boot/Image
ARCH_KFILE       := Image
ARCH_PVH         :=
ARCH_FIRMWARE    :=
# hyperstart is 170 KiB for arm64 against 137 KiB for x86_64: 66.5 KiB gzip'd
ARCH_INITRD_MAX  := 81920
