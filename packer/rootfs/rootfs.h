/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs.h: an image root out of the cache again (rootfs.c), as one
 * reproducible tar stream and as the squashfs mksquashfs makes of it: the
 * bundle's layer and rootfs (bundle/build.c) and a run's root disk
 * (runner/vm/rootdisk.c). Here, below both, so that neither includes the
 * other: it needs only the packer's common code and libarchive.
 */
#ifndef QPOD_ROOTFS_H
#define QPOD_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct walk_entry {
	const char *path;        /* relative, "" for the root */
	mode_t mode;             /* type and permission bits */
	uint32_t uid, gid;
	int64_t mtime;
	uint64_t size;
	dev_t dev;
	ino_t ino;
	dev_t rdev;              /* a device's (walk_meta_virtfs_dev only) */
	nlink_t nlink;
	char link[4096];         /* symlink target */
	char *xattrs;            /* "name\0" ... as listxattr gives them, or NULL */
	size_t xattrs_len;
};
/* Where an entry's owner and mode come from: lstat (a root's cache, a root
 * directory), or the mapped-xattr xattrs of a rootless cache (image.mapped).
 * 0, 1 to skip the entry, -errno. */
typedef int (*walk_meta_fn)(int dirfd, const char *name, struct walk_entry *e);
int walk_meta_stat(int dirfd, const char *name, struct walk_entry *e);
int walk_meta_virtfs(int dirfd, const char *name, struct walk_entry *e);
/* The same, keeping the image's devices (their placeholders) as devices. */
int walk_meta_virtfs_dev(int dirfd, const char *name, struct walk_entry *e);
/* Every entry below root in sorted order (directories before their
 * contents, names in byte order), to fn with an open fd for regular files
 * (-1 otherwise). */
typedef int (*walk_fn)(void *ctx, const struct walk_entry *e, int fd, int dirfd, const char *name);
int walk_tree(const char *root, walk_meta_fn meta, walk_fn fn, void *ctx, struct qerr *err);
/* Whether mksquashfs can give the root directory its owner here (as root,
 * or as root of a user namespace of its own; else it is the user's). */
bool rootfs_owners_exact(void);
/* root -> layer tar (layer_path, sha256 into layer_hex) and squashfs
 * (sqfs_path), from one walk: the root's mtime is epoch, no file's is later
 * than clamp (INT64_MAX: none clamped). */
int rootfs_build(const char *root, walk_meta_fn meta, const char *layer_path, char layer_hex[65],
		 const char *sqfs_path, int64_t epoch, int64_t clamp, struct qerr *err);

#endif
