/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arch.c: the guest architectures the runner boots, one row each: how qemu
 * runs a guest of it. The build's side of an architecture is
 * configs/arch/NAME/ (kernel fragments, command line, vm.conf's machine
 * and boot path, arch.mk); NAME is the row's name and the arch= of the
 * vm.conf in the images directory made for it (a vm.conf without arch=,
 * as bundles made before arm64 have, is x86_64's).
 *
 * Which images directory: the host's architecture has the one conf.c finds
 * (QPOD_IMAGES, ../images, ../share/qpod/images); another's is beside it,
 * DIR-NAME (`make image ARCH=arm64` makes out/images-arm64).
 *
 * Which architecture a run boots: its image's platform (an image of one
 * platform only, or the one --platform picked from an index), else
 * --platform, else the host's. A guest of another architecture than the
 * host's runs under TCG: --accel auto takes TCG, --accel kvm is refused.
 * A riscv64 guest would be a row here and a folder configs/arch/riscv64/.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "vm.h"

static const struct arch arches[] = {
	{
		.name = "x86_64", .platform = "linux/amd64", .machine = "x86_64",
		.qemu = "qemu-system-x86_64",
		/* qemu's default CPU under TCG (qemu64) and KVM */
		.cpu_tcg = NULL, .cpu_kvm = NULL,
		.machines = "pc|q35", .machine_opts = "acpi=off|acpi=on",
		.kernel = "vmlinuz", .pvh = true, .firmware = true, .tsc = true,
		/* EM_X86_64; a bzImage's setup header */
		.elf_machine = 62, .image_magic = "HdrS", .image_magic_at = 0x202,
		.kvm_modules = { "kvm_intel", "kvm_amd" },
	},
	{
		.name = "arm64", .platform = "linux/arm64", .machine = "aarch64",
		.qemu = "qemu-system-aarch64",
		/* virt has no default CPU. max is every feature TCG has (an
		 * image built for a later Armv8.x runs); pointer authentication
		 * with an implementation-defined algorithm, which qemu's docs
		 * give as much faster to emulate than the architected QARMA in
		 * code built with branch protection. Debian's busybox is not:
		 * a cold boot running sha256sum 8 times measured the same
		 * (noise of 20%) with max, this and cortex-a72. */
		.cpu_tcg = "max,pauth-impdef=on", .cpu_kvm = "host",
		.machines = "virt", .machine_opts = "gic-version=2|gic-version=3",
		.kernel = "Image", .pvh = false, .firmware = false, .tsc = false,
		/* EM_AARCH64; the arm64 Image header's magic */
		.elf_machine = 183, .image_magic = "ARM\x64", .image_magic_at = 0x38,
		.kvm_modules = { "kvm" },
	},
};

#define NARCH (sizeof arches / sizeof *arches)

const struct arch *arch_by_name(const char *name)
{
	for (size_t i = 0; i < NARCH; i++)
		if (!strcmp(arches[i].name, name))
			return &arches[i];
	return NULL;
}

/* "os/arch[/variant]": the os is linux, arch is the row's (or its uname
 * name); the variant is the image's business (v8 is arm64's only one). */
const struct arch *arch_by_platform(const char *platform)
{
	const char *a = strchr(platform, '/');
	if (!a || strncmp(platform, "linux/", 6))
		return NULL;
	size_t n = strcspn(++a, "/");
	for (size_t i = 0; i < NARCH; i++) {
		const char *p = strchr(arches[i].platform, '/') + 1;
		if ((strlen(p) == n && !strncmp(p, a, n)) ||
		    (strlen(arches[i].machine) == n && !strncmp(arches[i].machine, a, n)))
			return &arches[i];
	}
	return NULL;
}

const struct arch *arch_host(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return NULL;
	for (size_t i = 0; i < NARCH; i++)
		if (!strcmp(arches[i].machine, u.machine))
			return &arches[i];
	return NULL;
}

void arch_platforms(char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < NARCH && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", arches[i].platform);
}
