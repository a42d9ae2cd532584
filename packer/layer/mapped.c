/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mapped.c: the last step of an unpack without root, before the entry is
 * published: make the tree what qemu's mapped-xattr share (virtfs.h) shows
 * the guest as the image.
 *
 *   - Every symlink becomes a regular file holding its target (no NUL),
 *     with mode S_IFLNK|0777 and the owner its entry had in the xattrs:
 *     qemu's mapped readlink reads a file's contents, and Linux keeps no
 *     user xattrs on a real symlink. This waits for the end because every
 *     later layer's paths are resolved through the real links (rootpath.c).
 *     The owners come from ap->links (write.c), the newest entry of a path
 *     winning; a link no entry described (a hardlink to one) is root's.
 *     Names of one symlink (a tar hardlink to a symlink) stay one inode:
 *     the later names are linked to the first one's file.
 *   - A directory that no entry described (the root, parents made on the
 *     way) gets root:root 0755, as docker makes them; a file without owner
 *     xattrs (none should be) gets root:root and its host permissions.
 *   - Times stay the image's: the new file takes the link's mtime, and its
 *     directory's times are put back after the swap.
 * The tree is a private directory of the cache's tmp/ (0700, this user's),
 * so walking it by path with nftw (FTW_PHYS: no link is ever followed)
 * races with no one; nftw takes no context pointer, hence the one static.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/virtfs.h"
#include "io.h"
#include "layer/layer.h"

static struct finish {
	struct applier *ap;
	size_t rootlen;
	int r;           /* the first failure (a negative errno, message in ap->err) */
	struct multi { ino_t ino; char *path; } *multi;   /* symlinks of several names */
	size_t nmulti, capmulti;
} *cur;

/* The file made for another name of the symlink inode ino, or NULL. */
static const char *multi_find(ino_t ino)
{
	for (size_t i = 0; i < cur->nmulti; i++)
		if (cur->multi[i].ino == ino)
			return cur->multi[i].path;
	return NULL;
}

static int multi_add(ino_t ino, const char *path)
{
	if (cur->nmulti == cur->capmulti) {
		size_t cap = cur->capmulti ? cur->capmulti * 2 : 16;
		struct multi *m = realloc(cur->multi, cap * sizeof *m);
		if (!m)
			return qerr_set(cur->ap->err, ENOMEM, "out of memory");
		cur->multi = m;
		cur->capmulti = cap;
	}
	if (!(cur->multi[cur->nmulti].path = strdup(path)))
		return qerr_set(cur->ap->err, ENOMEM, "out of memory");
	cur->multi[cur->nmulti++].ino = ino;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	const struct linkowner *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The newest owner recorded for rel (links are sorted by path, then seq). */
static const struct linkowner *link_owner(const struct applier *ap, const char *rel)
{
	size_t lo = 0, hi = ap->nlinks;
	while (lo < hi) {   /* the first entry whose path is greater than rel */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ap->links[mid].path, rel) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && !strcmp(ap->links[lo - 1].path, rel) ? &ap->links[lo - 1] : NULL;
}

static int fail(const char *rel, int errnum, const char *what)
{
	return qerr_sys(cur->ap->err, errnum, "%s: \"%s\": %s", cur->ap->what, pq(rel), what);
}

static int link_to_file(const char *fpath, const char *rel, const struct stat *st)
{
	char target[PATH_MAX], parent[PATH_MAX];
	ssize_t n = readlink(fpath, target, sizeof target);
	if (n < 0 || (size_t)n >= sizeof target)
		return fail(rel, n < 0 ? errno : ENAMETOOLONG, "read the symlink");
	size_t plen = (size_t)(strrchr(fpath, '/') - fpath);
	memcpy(parent, fpath, plen);
	parent[plen] = '\0';
	struct stat pst;
	if (stat(parent, &pst) < 0)
		return fail(rel, errno, "stat its directory");
	const struct linkowner *o = link_owner(cur->ap, rel);
	struct virtfs_cred c = { .uid = o ? o->uid : 0, .gid = o ? o->gid : 0, .mode = S_IFLNK | 0777 };
	const char *first = multi_find(st->st_ino);  /* its nlink fell as names went */
	if (unlink(fpath) < 0)
		return fail(rel, errno, "replace the symlink");
	if (first) {
		struct timespec pt[2] = { pst.st_atim, pst.st_mtim };
		if (link(first, fpath) < 0)
			return fail(rel, errno, "link the link's file");
		return utimensat(AT_FDCWD, parent, pt, 0) < 0 ? fail(rel, errno, "set its directory's times") : 0;
	}
	if (st->st_nlink > 1) {
		int r = multi_add(st->st_ino, fpath);
		if (r < 0)
			return r;
	}
	int fd = open(fpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(rel, errno, "create the link's file");
	struct qerr e;
	int r = io_write_all(fd, target, (size_t)n) < 0 ? fail(rel, errno, "write the link's file") : 0;
	if (r == 0 && virtfs_set(fd, &c, &e) < 0)
		r = qerr_set(cur->ap->err, e.code, "%s: \"%s\": %s", cur->ap->what, pq(rel), e.msg);
	struct timespec t[2] = { st->st_mtim, st->st_mtim };
	if (r == 0 && futimens(fd, t) < 0)
		r = fail(rel, errno, "set times");
	close(fd);
	struct timespec pt[2] = { pst.st_atim, pst.st_mtim };
	if (r == 0 && utimensat(AT_FDCWD, parent, pt, 0) < 0)
		r = fail(rel, errno, "set its directory's times");
	return r;
}

/* Owner xattrs for a directory or file that has none. */
static int default_owner(const char *fpath, const char *rel, const struct stat *st)
{
	if (getxattr(fpath, VIRTFS_XATTR_MODE, NULL, 0) >= 0)
		return 0;
	if (errno != ENODATA)
		return fail(rel, errno, "read its owner xattrs");
	int fd = open(fpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return fail(rel, errno, "open");
	struct virtfs_cred c = { .mode = S_ISDIR(st->st_mode) ? S_IFDIR | 0755 : (st->st_mode & (S_IFMT | 0777)) };
	struct qerr e;
	int r = virtfs_set(fd, &c, &e) < 0 ? qerr_set(cur->ap->err, e.code, "%s: \"%s\": %s", cur->ap->what, pq(rel), e.msg) : 0;
	close(fd);
	return r;
}

/* nftw's callback: 0 goes on, 1 stops the walk (cur->r says why). */
static int visit(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = fpath[cur->rootlen] ? fpath + cur->rootlen + 1 : "";
	if (flag == FTW_SL)
		cur->r = link_to_file(fpath, rel, st);
	else if (flag == FTW_D || flag == FTW_F)
		cur->r = S_ISDIR(st->st_mode) || S_ISREG(st->st_mode) ? default_owner(fpath, rel, st) : 0;
	else
		cur->r = fail(rel, errno ? errno : EIO, "cannot be read");
	return cur->r < 0;
}

int mapped_finish(struct applier *ap, const char *root, const char *what)
{
	struct finish f = { .ap = ap, .rootlen = strlen(root) };
	ap->what = what;
	qsort(ap->links, ap->nlinks, sizeof *ap->links, by_path);
	cur = &f;
	int r = nftw(root, visit, 16, FTW_PHYS | FTW_MOUNT);
	cur = NULL;
	for (size_t i = 0; i < f.nmulti; i++)
		free(f.multi[i].path);
	free(f.multi);
	if (f.r < 0)
		return f.r;
	return r < 0 ? qerr_sys(ap->err, errno, "%s: walk %s", ap->what, pq(root)) : 0;
}
