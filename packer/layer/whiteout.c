/* SPDX-License-Identifier: Apache-2.0 */
/*
 * whiteout.c: what a whiteout entry of a layer does (OCI image spec,
 * "Whiteouts").
 *
 * ".wh.NAME" removes NAME, ".wh..wh..opq" empties its directory; other
 * ".wh..wh." names are aufs bookkeeping and skipped; one naming "." or ".."
 * or nothing is refused. Both hide what lower layers made, never what the
 * current layer itself wrote, before or after the whiteout: the applier's
 * `written` set holds this layer's paths and `above` their ancestors, so a
 * directory this layer wrote into is emptied of the rest, not removed.
 * A parent that does not resolve inside the root has nothing to hide.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "io.h"
#include "layer/write.h"

static int remove_lower(struct applier *ap, int pfd, const char *base, const char *path);

static int remove_children(struct applier *ap, int dirfd_any, const char *path)
{
	int fd = openat(dirfd_any, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		io_close(&fd);
		return 0;
	}
	int dfd = dirfd(d), r = 0;
	struct dirent *de;
	char child[PATH_MAX];
	rootpath_reset(&ap->rp);
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int n = snprintf(child, sizeof child, "%s%s%s", path, path[0] ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= sizeof child) {
			int64_t freed = 0;
			r = rmtree_at(dfd, de->d_name, &freed);
			ap->bytes -= freed;
		} else
			r = remove_lower(ap, dfd, de->d_name, child);
	}
	closedir(d);
	return r;
}

static int remove_lower(struct applier *ap, int pfd, const char *base, const char *path)
{
	size_t n = strlen(path);
	if (pathset_has(&ap->written, path, n))
		return 0;
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	rootpath_reset(&ap->rp);
	if (S_ISDIR(st.st_mode) && pathset_has(&ap->above, path, n)) {
		int fd = openat(pfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		int r = remove_children(ap, fd, path);
		close(fd);
		return r;
	}
	int64_t freed = 0;
	if (S_ISDIR(st.st_mode)) {
		int r = rmtree_at(pfd, base, &freed);
		ap->bytes -= freed;
		return r;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		ap->bytes -= st.st_size;
	return unlinkat(pfd, base, 0) < 0 && errno != ENOENT ? -errno : 0;
}

int whiteout_apply(struct applier *ap, const char *parent, const char *base, const char *path)
{
	bool opaque = !strcmp(base, ".wh..wh..opq");
	if (!opaque && !strncmp(base, ".wh..wh.", 8))
		return 0;
	const char *name = base + 4;
	if (!opaque && (!name[0] || !strcmp(name, ".") || !strcmp(name, "..")))
		return qerr_set(ap->err, EINVAL, "%s: entry \"%s\": whiteout names no file inside its directory", ap->what, pq(path));
	int pfd = rootpath_dir(&ap->rp, parent, false);
	if (pfd == -ENOENT || pfd == -ENOTDIR || pfd == -ELOOP)
		return 0;
	if (pfd < 0)
		return qerr_sys(ap->err, -pfd, "%s: entry \"%s\": directory", ap->what, pq(path));
	char target[PATH_MAX];
	int r = 0;
	if (opaque)
		r = remove_children(ap, pfd, parent);
	else {
		snprintf(target, sizeof target, "%s%s%s", parent, parent[0] ? "/" : "", name);
		r = remove_lower(ap, pfd, name, target);
	}
	return r < 0 ? qerr_sys(ap->err, -r, "%s: entry \"%s\": whiteout", ap->what, pq(path)) : 0;
}
