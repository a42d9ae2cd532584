/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inroot.c: open a path of the container's as the container sees it. The
 * image is the other side's data: an absolute symlink such as
 * /etc/passwd -> /run/x or ../../../x must resolve inside the root, never
 * in the guest's own tree. openat2(RESOLVE_IN_ROOT) does that in the kernel
 * (absolute paths and ".." stop at dirfd); magic links are refused.
 * Directories and mounts inside the root (mount.c's volumes and tmpfs, the
 * container's /dev/shm, its workdir) are made through such fds only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hyperstart.h"

struct open_how_compat {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_       0x10

const char *const container_root = "/run/qpod/root";

int root_open(int rootfd, const char *path, int flags)
{
	struct open_how_compat how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	return fd < 0 ? -errno : (int)fd;
}

/* mkdir -p PATH inside the container root; returns an O_PATH fd of it. */
int root_mkdirs(const char *path, struct qerr *err)
{
	char prefix[4096];
	size_t len = strlen(path);
	if (len >= sizeof prefix)
		return qerr_set(err, ENAMETOOLONG, "path %.64s... is too long", path);
	int rootfd = open(container_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return qerr_sys(err, errno, "open %s", container_root);
	int cur = dup(rootfd);
	for (size_t i = 0; cur >= 0 && i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		const char *comp = strrchr(prefix, '/');
		comp = comp ? comp + 1 : prefix;
		if (!*comp || !strcmp(comp, "."))
			continue;
		int fd = root_open(rootfd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd == -ENOENT) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				fd = -errno;
			else
				fd = root_open(rootfd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		close(cur);
		cur = fd;
	}
	close(rootfd);
	if (cur < 0)
		return qerr_sys(err, -cur, "create %s in the container", path);
	return cur;
}

/* Mount onto a directory inside the root, created if missing. */
int mount_in_root(const char *src, const char *path, const char *type, unsigned long flags,
		  const char *data, struct qerr *err)
{
	int fd = root_mkdirs(path, err);
	if (fd < 0)
		return fd;
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
	int r = 0;
	if (mount(src, target, type, flags, data) < 0)
		r = qerr_sys(err, errno, "mount %s on %s", src, path);
	close(fd);
	return r;
}
