/*
 * accel.c: pick an accelerator that really runs an ordinary guest.
 *
 * /dev/kvm is not enough: under PVM (the kvm_pvm module, pagetable-based
 * virtualization) a normal kernel hangs in early boot with the vCPU spinning
 * in the host. auto therefore takes KVM only when /dev/kvm opens and the
 * host runs the hardware-assisted kvm_intel or kvm_amd module and not
 * kvm_pvm; anything else is TCG. These are a few stat() calls: no probing
 * VM, nothing that can hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static int module(const char *name)
{
	char p[64];
	strcpy(p, "/sys/module/");
	strcat(p, name);
	return access(p, F_OK) == 0;
}

static int kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return !module("kvm_pvm") && (module("kvm_intel") || module("kvm_amd"));
}

const char *accel_pick(const char *want, struct qerr *err)
{
	if (!strcmp(want, "tcg"))
		return "tcg";
	if (!strcmp(want, "kvm")) {
		if (access("/dev/kvm", R_OK | W_OK) < 0)
			return qerr_sys(err, errno, "--accel kvm: /dev/kvm"), NULL;
		return "kvm";
	}
	if (strcmp(want, "auto")) {
		qerr_set(err, EINVAL, "accel \"%s\" is not auto, kvm or tcg", want);
		return NULL;
	}
	return kvm_usable() ? "kvm" : "tcg";
}
