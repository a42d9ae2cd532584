/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtfs.c: read and write qemu's mapped-xattr owner xattrs (virtfs.h).
 * Values are encoded byte by byte so the result is little-endian whatever
 * the host, as qemu's cpu_to_le32/le64 store them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "virtfs.h"

static void le(unsigned char *b, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t unle(const unsigned char *b, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static int put(int fd, const char *name, uint64_t v, size_t n, struct qerr *err)
{
	unsigned char b[8];
	le(b, v, n);
	if (fsetxattr(fd, name, b, n, 0) < 0)
		return qerr_sys(err, errno, "set xattr %s", name);
	return 0;
}

static int get(int fd, const char *name, uint64_t *v, size_t n, struct qerr *err)
{
	unsigned char b[8];
	ssize_t got = fgetxattr(fd, name, b, n);
	if (got < 0)
		return qerr_sys(err, errno, "get xattr %s", name);
	if ((size_t)got != n)
		return qerr_set(err, EINVAL, "xattr %s is %zd bytes, not %zu", name, got, n);
	*v = unle(b, n);
	return 0;
}

int virtfs_set(int fd, const struct virtfs_cred *c, struct qerr *err)
{
	int r = put(fd, VIRTFS_XATTR_UID, c->uid, 4, err);
	if (r == 0)
		r = put(fd, VIRTFS_XATTR_GID, c->gid, 4, err);
	if (r == 0)
		r = put(fd, VIRTFS_XATTR_MODE, c->mode, 4, err);
	if (r == 0 && c->rdev)
		r = put(fd, VIRTFS_XATTR_RDEV, c->rdev, 8, err);
	return r;
}

int virtfs_get(int fd, struct virtfs_cred *c, struct qerr *err)
{
	uint64_t u = 0, g = 0, m = 0, d = 0;
	int r = get(fd, VIRTFS_XATTR_UID, &u, 4, err);
	if (r == 0)
		r = get(fd, VIRTFS_XATTR_GID, &g, 4, err);
	if (r == 0)
		r = get(fd, VIRTFS_XATTR_MODE, &m, 4, err);
	if (r < 0)
		return r;
	if (fgetxattr(fd, VIRTFS_XATTR_RDEV, NULL, 0) >= 0 && get(fd, VIRTFS_XATTR_RDEV, &d, 8, err) < 0)
		return -err->code;
	*c = (struct virtfs_cred){ .uid = (uint32_t)u, .gid = (uint32_t)g, .mode = (uint32_t)m, .rdev = d };
	return 0;
}

int virtfs_probe(int dirfd, const char *dir, struct qerr *err)
{
	/* An unnamed file: nothing is left behind, whatever happens. */
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return qerr_sys(err, errno, "%s: cannot create a probe file", dir);
	unsigned char b[4] = { 0 };
	int r = 0;
	if (fsetxattr(fd, VIRTFS_XATTR_UID, b, sizeof b, 0) < 0)
		r = qerr_set(err, errno == EOPNOTSUPP ? ENOTSUP : errno,
			     "%s: this filesystem cannot hold user xattrs, which a rootless cache needs for the image's owners "
			     "(tmpfs before Linux 6.6, ramfs): set QPOD_CACHE to a directory on ext4, xfs or btrfs", dir);
	close(fd);
	return r;
}
