/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lock.c: the cache's locks, flock(2) on files in locks/:
 *
 *   locks/<key>.unpack   exclusive while one process unpacks <key>
 *   locks/<key>.use      shared while a run (a VM) uses images/<key>;
 *                        prune takes it exclusively, without waiting
 *
 * Lock files may be unlinked by prune while it holds them; lock_take()
 * re-checks after locking that the file it holds is still the one at the
 * path, so a lock is never split across two inodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packer.h"

int lock_take(int dfd, const char *name, int how, struct qerr *err)
{
	for (;;) {
		int fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return qerr_sys(err, errno, "lock %s", name);
		int r;
		do
			r = flock(fd, how);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			r = -errno;
			close(fd);
			return r == -EWOULDBLOCK ? r : qerr_sys(err, -r, "lock %s", name);
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}
