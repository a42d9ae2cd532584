/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtfs.h: qemu's 9p "mapped-xattr" owner mapping, the one home of its
 * names and encoding.
 *
 * In that model (hw/9pfs/9p-local.c, qemu 7.2) the host file belongs to
 * whoever runs qemu and the guest sees the uid, gid, mode (type bits
 * included) and rdev kept in four user.* xattrs, little-endian: uid, gid and
 * mode 4 bytes each, rdev 8. qemu hides these names from the guest. A
 * rootless packer writes them so that an unprivileged user's cache shows the
 * image's true owners without holding a setuid file or a device node.
 */
#ifndef QPOD_PACKER_VIRTFS_H
#define QPOD_PACKER_VIRTFS_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* The -fsdev security_model that reads these xattrs, and the name the cache
 * layout records for a root written this way. */
#define VIRTFS_MODEL "mapped-xattr"

#define VIRTFS_XATTR_PREFIX "user.virtfs."   /* qemu hides every such name */
#define VIRTFS_XATTR_UID  "user.virtfs.uid"
#define VIRTFS_XATTR_GID  "user.virtfs.gid"
#define VIRTFS_XATTR_MODE "user.virtfs.mode"
#define VIRTFS_XATTR_RDEV "user.virtfs.rdev"

struct virtfs_cred {
	uint32_t uid, gid;
	uint32_t mode;   /* st_mode: file type and permission bits */
	uint64_t rdev;   /* devices only; 0 means "not written" */
};

/* Write cred's xattrs on the open file fd (rdev only when non-zero). */
int virtfs_set(int fd, const struct virtfs_cred *c, struct qerr *err);
/* Read them back; a missing uid, gid or mode is -ENODATA. */
int virtfs_get(int fd, struct virtfs_cred *c, struct qerr *err);
/* Whether the filesystem of directory dirfd keeps user xattrs (tmpfs
 * before Linux 6.6, so on Debian 12's 6.1, and ramfs do not): 0, or
 * -ENOTSUP with a one-line message naming dir. */
int virtfs_probe(int dirfd, const char *dir, struct qerr *err);

#endif
