/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootpath.h: resolving paths inside the rootfs the way the guest will see
 * them, with the rootfs as "/" (rootpath.c).
 */
#ifndef QPOD_PACKER_ROOTPATH_H
#define QPOD_PACKER_ROOTPATH_H

#include <stdbool.h>

struct rootpath {
	int rootfd;
	bool create_parents;
	struct { char *path; int fd; unsigned age; } cache[2];
	unsigned tick;
	bool stale;              /* something was removed: drop the cache on the next call */
};
void rootpath_init(struct rootpath *r, int rootfd);
void rootpath_reset(struct rootpath *r);    /* forget cached fds (after removals) */
void rootpath_free(struct rootpath *r);
/* A directory fd (O_PATH) for clean path dir, resolved as the guest would see
 * it with the rootfs as "/"; creates missing components (0755) when create.
 * The fd belongs to r: do not close it; valid until the next call. */
int rootpath_dir(struct rootpath *r, const char *dir, bool create);
/* openat2(RESOLVE_IN_ROOT) or, without kernel support, the same walk in user space. */
int root_open(int rootfd, const char *path, int flags);
extern bool rootpath_no_openat2;            /* tests: force the user-space walk */

#endif
