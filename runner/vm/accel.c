/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accel.c: pick an accelerator that really runs an ordinary guest.
 *
 * /dev/kvm is not enough: under PVM (the kvm_pvm module, pagetable-based
 * virtualization) a normal kernel hangs in early boot with the vCPU spinning
 * in the host. auto therefore takes KVM only when /dev/kvm opens and the
 * host runs the hardware-assisted kvm_intel or kvm_amd module and not
 * kvm_pvm; anything else is TCG. These are a few stat() calls: no probing
 * VM, nothing that can hang. The modules are the host's arch's (arch.c:
 * kvm_intel or kvm_amd on x86_64, kvm on arm64). A guest of another arch
 * than the host's is always TCG: auto takes it, kvm is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

static int module(const char *name)
{
	char p[64];
	strcpy(p, "/sys/module/");
	strcat(p, name);
	return access(p, F_OK) == 0;
}

static int kvm_usable(const struct arch *a)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool mod = false;
	if (fd < 0)
		return 0;
	close(fd);
	for (int i = 0; i < 3 && a->kvm_modules[i]; i++)
		mod = mod || module(a->kvm_modules[i]);
	return !module("kvm_pvm") && mod;
}

const char *accel_pick(const char *want, const struct arch *arch, struct qerr *err)
{
	bool native = arch == arch_host();
	if (!strcmp(want, "tcg"))
		return "tcg";
	if (!strcmp(want, "kvm") && !native) {
		qerr_set(err, EINVAL, "--accel kvm: an %s guest on this host runs under TCG only", arch->name);
		return NULL;
	}
	if (!strcmp(want, "kvm")) {
		if (access("/dev/kvm", R_OK | W_OK) < 0)
			return qerr_sys(err, errno, "--accel kvm: /dev/kvm"), NULL;
		return "kvm";
	}
	if (strcmp(want, "auto")) {
		qerr_set(err, EINVAL, "accel \"%s\" is not auto, kvm or tcg", want);
		return NULL;
	}
	return native && kvm_usable(arch) ? "kvm" : "tcg";
}
