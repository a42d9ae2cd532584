/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootpath.c: resolve a path inside the rootfs the way the guest will see it,
 * with the rootfs as "/".
 *
 * openat2(RESOLVE_IN_ROOT) does it in one call: an absolute symlink target or
 * ".." at the top stays inside the root, so a lower layer's "bin -> usr/bin"
 * sends a later "bin/foo" to usr/bin/foo, and "evil -> /tmp" sends
 * "evil/pwned" to the rootfs's own tmp/. Magic links (/proc/self/...) are
 * refused with RESOLVE_NO_MAGICLINKS. Without openat2 (Linux < 5.6) the same
 * walk is done in user space: one component at a time with O_NOFOLLOW,
 * symlinks spliced in, "/" and ".." clamped at the root. That is safe here
 * because nobody else writes the tree while we unpack it.
 *
 * rootpath_dir() keeps the last two directories it resolved: tar entries come
 * grouped by directory, so most entries cost no lookup at all. The cache is
 * dropped after anything is removed (rootpath_reset), so a replaced symlink
 * is never looked through by a stale fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io.h"
#include "layer/rootpath.h"

bool rootpath_no_openat2;

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long r;
	do
		r = syscall(SYS_openat2, rootfd, path[0] ? path : ".", &how, sizeof how);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : (int)r;
}

static bool same_dir(int a, const struct stat *b)
{
	struct stat st;
	return fstat(a, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino;
}

/* The user-space walk: where it is, and what is left of the path. */
struct walker {
	int rootfd, cur;
	struct stat root;
	char buf[PATH_MAX * 2];
	char *rest;
	int links;
};

/* Take the first component off w->rest (into c); false when none is left. */
static bool next_comp(struct walker *w, char *c)
{
	char *s = w->rest;
	while (*s == '/')
		s++;
	if (!*s)
		return false;
	char *e = strchrnul(s, '/');
	memcpy(c, s, (size_t)(e - s));
	c[e - s] = '\0';
	w->rest = e;
	return true;
}

static bool more_comps(const struct walker *w)
{
	const char *s = w->rest;
	while (*s == '/')
		s++;
	return *s != '\0';
}

/* Go to fd's directory (an O_PATH fd we own). */
static void w_enter(struct walker *w, int fd)
{
	io_close(&w->cur);
	w->cur = fd;
}

/* "..": the parent, but never above the root. */
static int w_up(struct walker *w)
{
	if (same_dir(w->cur, &w->root))
		return 0;
	int up = openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (up < 0)
		return -errno;
	w_enter(w, up);
	return 0;
}

/* The symlink at fd: its target goes in front of what is left; an absolute
 * target restarts at the root. */
static int w_link(struct walker *w, int fd)
{
	char target[PATH_MAX], tmp[PATH_MAX * 2];
	ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
	if (n < 0)
		return -errno;
	if (++w->links > 40)
		return -ELOOP;
	target[n] = '\0';
	int len = snprintf(tmp, sizeof tmp, "%s/%s", target, w->rest);
	if (len < 0 || (size_t)len >= sizeof w->buf)
		return -ENAMETOOLONG;
	memcpy(w->buf, tmp, (size_t)len + 1);
	w->rest = w->buf;
	if (target[0] != '/')
		return 0;
	int fdroot = openat(w->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fdroot < 0)
		return -errno;
	w_enter(w, fdroot);
	return 0;
}

/* One component. 0 (with *done set to the opened fd after the last one), or -errno. */
static int w_step(struct walker *w, const char *comp, int flags, int *done)
{
	bool last = !more_comps(w);
	if (!strcmp(comp, "."))
		return 0;
	if (!strcmp(comp, ".."))
		return w_up(w);
	struct stat st;
	int fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;
		io_close(&fd);
		return r;
	}
	if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
		int r = w_link(w, fd);
		close(fd);
		return r;
	}
	if (last) {
		close(fd);
		*done = openat(w->cur, comp, flags);
		return *done < 0 ? -errno : 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	w_enter(w, fd);
	return 0;
}

static int walk(int rootfd, const char *path, int flags)
{
	struct walker w = { .rootfd = rootfd, .cur = -1 };
	char comp[NAME_MAX + 1];
	if (strlen(path) >= sizeof w.buf)
		return -ENAMETOOLONG;
	if (fstat(rootfd, &w.root) < 0 || (w.cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	strcpy(w.buf, path);
	w.rest = w.buf;
	int r = 0, fd = -1;
	while (r == 0 && fd < 0 && next_comp(&w, comp))
		r = w_step(&w, comp, flags, &fd);
	if (r == 0 && fd < 0) {  /* the root itself, or a path ending in "." or ".." */
		fd = openat(w.cur, ".", flags & ~O_NOFOLLOW);
		r = fd < 0 ? -errno : 0;
	}
	io_close(&w.cur);
	return r < 0 ? r : fd;
}

int root_open(int rootfd, const char *path, int flags)
{
	static bool checked;
	if (!checked) {
		checked = true;   /* tests force the fallback with QPOD_NO_OPENAT2=1 */
		rootpath_no_openat2 |= getenv("QPOD_NO_OPENAT2") != NULL;
	}
	flags |= O_CLOEXEC;
	if (!rootpath_no_openat2) {
		int r = openat2_in_root(rootfd, path, flags);
		if (r != -ENOSYS)
			return r;
		rootpath_no_openat2 = true;
	}
	return walk(rootfd, path, flags);
}

void rootpath_init(struct rootpath *r, int rootfd)
{
	*r = (struct rootpath){ .rootfd = rootfd };
	for (int i = 0; i < 2; i++)
		r->cache[i].fd = -1;
}

static void drop(struct rootpath *r)
{
	for (int i = 0; i < 2; i++) {
		free(r->cache[i].path);
		r->cache[i].path = NULL;
		io_close(&r->cache[i].fd);
	}
	r->stale = false;
}

void rootpath_reset(struct rootpath *r)
{
	r->stale = true;
}

void rootpath_free(struct rootpath *r)
{
	drop(r);
}

/* Create the missing directories of dir, one component at a time. */
static int make_parents(struct rootpath *r, const char *dir)
{
	char pre[PATH_MAX];
	size_t n = strlen(dir);
	int fd = -1, parent = openat(r->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return -errno;
	for (size_t i = 0; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(pre, dir, i);
		pre[i] = '\0';
		fd = root_open(r->rootfd, pre, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT) {
			const char *comp = strrchr(pre, '/') ? strrchr(pre, '/') + 1 : pre;
			if (mkdirat(parent, comp, 0755) < 0 || fchmodat(parent, comp, 0755, 0) < 0) {
				fd = errno == EEXIST ? -EEXIST : -errno;
			} else {
				fd = openat(parent, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				fd = fd < 0 ? -errno : fd;
			}
		}
		io_close(&parent);
		if (fd < 0)
			return fd;
		parent = fd;
	}
	return parent;
}

int rootpath_dir(struct rootpath *r, const char *dir, bool create)
{
	if (r->stale)
		drop(r);
	if (!dir[0])
		return r->rootfd;
	for (int i = 0; i < 2; i++)
		if (r->cache[i].path && !strcmp(r->cache[i].path, dir)) {
			r->cache[i].age = ++r->tick;
			return r->cache[i].fd;
		}
	int fd = root_open(r->rootfd, dir, O_PATH | O_DIRECTORY);
	if (fd == -ENOENT && create)
		fd = make_parents(r, dir);
	if (fd < 0)
		return fd;
	int v = r->cache[0].age <= r->cache[1].age ? 0 : 1;
	char *p = strdup(dir);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	free(r->cache[v].path);
	io_close(&r->cache[v].fd);
	r->cache[v].path = p;
	r->cache[v].fd = fd;
	r->cache[v].age = ++r->tick;
	return fd;
}
