# SPDX-License-Identifier: Apache-2.0
# x86_64: an x86_64 guest, as the build makes it (runner/vm/arch.c has what
# the runner needs: qemu's program, CPU, boot files). Makefile includes the
# arch.mk of ARCH (default: the host's).
#
# qemu's pc machine (configs/arch/x86_64/vm.conf) starts qboot, which loads
# the kernel: the PVH ELF twins (vmlinux, vmlinux-up) or the bzImage.
#
#   ARCH_DEB       Debian's name (dpkg --add-architecture, apt-get download)
#   ARCH_UNAME     the kernel's (uname -m; qemu-user's qemu-ARCH_UNAME)
#   ARCH_OCI       an image config's "architecture" and "variant"
#   ARCH_TRIPLET   the cross tools' prefix where the host is another arch
#   ARCH_MUSL_CC   musl-dev's gcc wrapper: static guest binaries
#   ARCH_KERNEL    the kernel's ARCH=; ARCH_KIMAGE what its build makes,
#                  ARCH_KFILE its name in images/
#   ARCH_PVH       yes: also vmlinux and vmlinux-up, PVH ELFs qemu loads as they are
#   ARCH_FIRMWARE  qboot: firmware/'s qboot.rom, bios-qboot.bin, cbfs.rom
#   ARCH_INITRD_MAX  the initrd's size budget in bytes (initrd/initrd.mk)

ARCH_DEB         := amd64
ARCH_UNAME       := x86_64
ARCH_OCI         := amd64
ARCH_OCI_VARIANT :=
ARCH_TRIPLET     := x86_64-linux-gnu
ARCH_MUSL_CC     := x86_64-linux-musl-gcc
ARCH_KERNEL      := x86_64
ARCH_KIMAGE      := arch/x86/boot/bzImage
ARCH_KFILE       := vmlinuz
ARCH_PVH         := yes
ARCH_FIRMWARE    := qboot
ARCH_INITRD_MAX  := 65536
