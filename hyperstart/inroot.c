/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inroot.c: open a path of the container's as the container sees it. The
 * image is the other side's data: an absolute symlink such as
 * /etc/passwd -> /run/x or ../../../x must resolve inside the root, never
 * in the guest's own tree. openat2(RESOLVE_IN_ROOT) does that in the kernel
 * (absolute paths and ".." stop at dirfd); magic links are refused.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hyperstart.h"

struct open_how_compat {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_       0x10

int root_open(int rootfd, const char *path, int flags)
{
	struct open_how_compat how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	return fd < 0 ? -errno : (int)fd;
}
