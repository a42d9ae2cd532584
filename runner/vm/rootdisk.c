/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootdisk.c: a cache entry's root as a read-only squashfs disk. A guest
 * that has mounted a 9p share cannot be saved (qemu blocks migration), so a
 * template could hold a VM only from before its root. From a disk, the
 * guest mounts the root at setup (qpod.root=vda): an image's template then
 * holds its root mounted, the overlay up and the files every run reads in
 * its page cache (hyperstart/warm.c), and a restored run goes straight to
 * the command.
 *
 *   $QPOD_CACHE/images/KEY/rootfs.HEX.sqfs   the entry's rootfs/ through
 *                              packer/rootfs/rootfs.c's walk (sorted, uncompressed,
 *                              owners as the share shows them, a rootless
 *                              cache's device placeholders as devices);
 *                              HEX is its sha256
 *   $QPOD_CACHE/tmp/KEY.disk.PID.*   a build in progress
 *   $QPOD_CACHE/locks/KEY.unpack     held while it is built (so no unpack
 *                              or prune cleans tmp/KEY.* under it)
 *
 * The first run of an image builds it, before it boots; a run that finds
 * the lock taken, or cannot build (no mksquashfs; without root, no user
 * namespace for it), shares rootfs/ over 9p.
 * A disk whose bytes are not its name's sha256 (checked by identity,
 * digest.c) is removed and built again. Root directories (./run DIR) stay
 * on 9p: they are the user's, and may change under a VM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/layout.h"
#include "common/common.h"
#include "io.h"
#include "packer.h"
#include "rootfs/rootfs.h"
#include "trust.h"
#include "vm.h"

#define DISK_PREFIX "rootfs."
#define DISK_SUFFIX ".sqfs"

/* entry/rootfs.HEX.sqfs if there is one: 1 with its name's HEX, else 0. */
static int find(const char *entry, char *path, size_t cap, char hex[HEX64])
{
	DIR *d = opendir(entry);
	struct dirent *de;
	int found = 0;
	size_t pl = strlen(DISK_PREFIX);
	while (d && !found && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strlen(n) != pl + 64 + strlen(DISK_SUFFIX) || strncmp(n, DISK_PREFIX, pl) ||
		    strcmp(n + pl + 64, DISK_SUFFIX))
			continue;
		snprintf(hex, HEX64, "%.64s", n + pl);
		snprintf(path, cap, "%s/%s", entry, n);
		found = is_hex64(hex);
	}
	if (d)
		closedir(d);
	return found;
}

/* rootfs/ -> tmp squashfs -> entry/rootfs.HEX.sqfs (we hold KEY.unpack). */
static int build(const struct image *img, const char *cache, const char *entry, const char *digests,
		 char *path, size_t cap, char hex[HEX64], struct qerr *err)
{
	char layer[PATH_MAX], tmp[PATH_MAX], lhex[HEX64];
	struct stat st;
	snprintf(layer, sizeof layer, "%s/tmp/%s.disk.%d.tar", cache, img->id, (int)getpid());
	snprintf(tmp, sizeof tmp, "%s/tmp/%s.disk.%d.sqfs", cache, img->id, (int)getpid());
	unlink(layer);
	unlink(tmp);
	if (lstat(img->rootfs, &st) < 0)
		return qerr_sys(err, errno, "%s", img->rootfs);
	if (!rootfs_owners_exact())
		return qerr_set(err, ENOTSUP, "no user namespace for mksquashfs (the root directory would be ours)");
	/* The root keeps its own mtime, and no file is clamped: the disk shows
	 * what the share would. */
	int e = rootfs_build(img->rootfs, img->mapped ? walk_meta_virtfs_dev : walk_meta_stat, layer, lhex, tmp,
			     st.st_mtime, INT64_MAX, err);
	unlink(layer);
	if (!e)
		e = file_sha256(digests, tmp, hex, err);
	if (!e) {
		snprintf(path, cap, "%s/" DISK_PREFIX "%s" DISK_SUFFIX, entry, hex);
		if (rename(tmp, path) < 0)
			e = qerr_sys(err, errno, "publish %s", path);
		else
			file_sha256_remember(digests, path, hex);
	}
	if (e)
		unlink(tmp);
	return e;
}

/* The disk found in entry, if its bytes are its name's sha256 (a bad one
 * is removed): 1 with path and hex, 0 none, -errno. */
static int find_good(const char *entry, const char *digests, char *path, size_t cap, char hex[HEX64],
		     struct qerr *err)
{
	char sum[HEX64];
	if (!find(entry, path, cap, hex))
		return 0;
	int e = file_sha256(digests, path, sum, err);
	if (e)
		return e;
	if (strcmp(sum, hex)) {
		unlink(path); /* not what its name says: built again */
		return 0;
	}
	return 1;
}

int rootdisk_open(const struct image *img, struct rootdisk *d, struct qerr *err)
{
	char *cache = NULL, entry[PATH_MAX], digests[PATH_MAX + 16], path[PATH_MAX + 100], hex[HEX64], name[100];
	int e, cfd = -1, lock = -1;
	struct stat st;
	*d = (struct rootdisk){ .fd = -1 };
	if (!img->id || !img->rootfs)
		return qerr_set(err, ENOTSUP, "a root directory is shared over 9p");
	snprintf(entry, sizeof entry, "%s", img->rootfs);
	char *slash = strrchr(entry, '/');
	if (!slash || strcmp(slash, "/rootfs"))
		return qerr_set(err, EINVAL, "%s: not a cache entry's rootfs", img->rootfs);
	*slash = '\0';
	if ((e = pack_cache_dir(&cache, err)))
		return e;
	snprintf(digests, sizeof digests, "%s/" CACHE_TEMPLATES, cache);
	snprintf(path, sizeof path, "%s/" TEMPLATES_DIGESTS, digests);
	if ((e = private_dir(digests, err)) || (e = private_dir(path, err)) ||
	    (e = find_good(entry, digests, path, sizeof path, hex, err)))
		goto found;
	snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_UNPACK, img->id);
	if ((cfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		e = qerr_sys(err, errno, "%s", cache);
	else if ((lock = lock_take(cfd, name, LOCK_EX | LOCK_NB, err)) == -EWOULDBLOCK)
		e = qerr_set(err, EBUSY, "another run builds the image's root disk");
	else if (lock < 0)
		e = lock;
	else if (!(e = find_good(entry, digests, path, sizeof path, hex, err)) && /* built while we looked? */
		 !(e = build(img, cache, entry, digests, path, sizeof path, hex, err)))
		e = 1;
found:
	if (e == 1) {
		e = 0;
		if ((d->fd = trust_file(path, 0, err)) < 0) { /* -EPERM: the run stops (launch.c) */
			e = d->fd;
			d->fd = -1;
		} else if (fstat(d->fd, &st) < 0 || st.st_size <= 0) {
			e = qerr_set(err, EINVAL, "%s: not a disk of ours", path);
			io_close(&d->fd);
		} else {
			d->size = (uint64_t)st.st_size;
			snprintf(d->hex, sizeof d->hex, "%s", hex);
		}
	} else if (!e) {
		e = qerr_set(err, ENOENT, "no root disk");
	}
	io_close(&lock);
	io_close(&cfd);
	free(cache);
	return e ? e : 1;
}
