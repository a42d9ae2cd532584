/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs.c: the image root as one reproducible tar stream, written once
 * (a bundle's OCI image layer, hashed as it is written) and then read by
 * `mksquashfs - OUT -tar` into the rootfs squashfs.
 *
 * walk_tree() is the one function that yields the root's entries: sorted
 * (each directory before its contents, names in byte order), metadata from
 * a walk_meta_fn: walk_meta_stat() takes owner, mode and mtime from lstat
 * and the xattrs from llistxattr; walk_meta_virtfs() reads a rootless
 * cache, whose owners, modes, symlinks and placeholders are in qemu's
 * mapped-xattr xattrs (packer/common/virtfs.h), so that a user's bundle of
 * an image is byte for byte root's. The stream has
 * no host leaks: no user or group names, no atime or ctime, paths relative
 * to the root, hardlinks as tar hardlinks, mtimes in whole seconds (the
 * root's is the build's epoch, and with SOURCE_DATE_EPOCH set none is
 * later than it, as reproducible-builds.org asks).
 * Device nodes and sockets are left out (the guest's /dev is devtmpfs),
 * except the placeholders of a rootless cache with walk_meta_virtfs_dev
 * (runner/vm/rootdisk.c: a run shows the image's devices, as its 9p share does).
 *
 * mksquashfs 4.5.1 in -tar mode gives its root directory the time of the
 * run, whatever -root-time says; only SOURCE_DATE_EPOCH in its environment
 * clamps that (and sets the creation time). It gets the newest mtime of
 * the stream (or the build's epoch, if later): the clamp changes no file of
 * the image, the root and creation times follow the content. -reproducible
 * is its default. And in -tar mode it gives the root directory its own
 * uid and gid whatever -root-uid and -root-gid say; so without root it runs
 * as root of a user namespace of its own (unshare --map-root-user), where
 * it can change nothing on the host and gives the root directory 0:0, the
 * bytes root's bundle has. Where user namespaces are off it runs as it is,
 * with a warning that the root directory is the user's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/common.h"
#include "common/virtfs.h"
#include "io.h"
#include "rootfs.h"
#include "vec.h"

#define WALK_DEPTH 256

extern char **environ;

int walk_meta_stat(int dirfd, const char *name, struct walk_entry *e)
{
	struct stat st;
	if ((*name ? fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) : fstat(dirfd, &st)) < 0)
		return -errno;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))
		return 1;
	e->mode = st.st_mode;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->mtime = st.st_mtim.tv_sec;
	e->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->nlink = st.st_nlink;
	e->link[0] = '\0';
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, name, e->link, sizeof e->link - 1);
		if (n < 0)
			return -errno;
		e->link[n] = '\0';
	}
	char p[64 + 4096];
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dirfd, *name ? name : ".");
	ssize_t n = llistxattr(p, NULL, 0);
	e->xattrs = NULL;
	e->xattrs_len = 0;
	if (n > 0 && n <= 65536 && (e->xattrs = malloc((size_t)n))) {
		n = llistxattr(p, e->xattrs, (size_t)n);
		e->xattrs_len = n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* Drop qemu's own names (user.virtfs.*) from e's xattr list: they are the
 * owners, not the image's xattrs. */
static void drop_virtfs_names(struct walk_entry *e)
{
	size_t o = 0, plen = strlen(VIRTFS_XATTR_PREFIX);
	for (size_t i = 0; i < e->xattrs_len;) {
		size_t n = strlen(e->xattrs + i) + 1;
		if (strncmp(e->xattrs + i, VIRTFS_XATTR_PREFIX, plen))
			memmove(e->xattrs + o, e->xattrs + i, n), o += n;
		i += n;
	}
	e->xattrs_len = o;
}

static int meta_virtfs(int dirfd, const char *name, struct walk_entry *e, bool devices)
{
	int r = walk_meta_stat(dirfd, name, e);
	if (r || !(S_ISREG(e->mode) || S_ISDIR(e->mode)))
		return r;
	int fd = openat(dirfd, *name ? name : ".", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct virtfs_cred c;
	struct qerr err;
	if (fd < 0)
		r = -errno;
	else if ((r = virtfs_get(fd, &c, &err)) == -ENODATA)
		r = 0;   /* none written: the host's own say it (mapped.c gives every file some) */
	else if (r == 0 && (S_ISSOCK(c.mode) || (!devices && (S_ISCHR(c.mode) || S_ISBLK(c.mode)))))
		r = 1;   /* as walk_meta_stat leaves devices out */
	else if (r == 0) {
		e->mode = c.mode;
		e->uid = c.uid;
		e->gid = c.gid;
		if (!S_ISREG(c.mode))
			e->size = 0;
		if (S_ISCHR(c.mode) || S_ISBLK(c.mode))
			e->rdev = (dev_t)c.rdev;
		if (S_ISLNK(c.mode)) {
			ssize_t n = pread(fd, e->link, sizeof e->link - 1, 0);
			r = n < 0 ? -errno : n == 0 ? -EINVAL : 0;
			e->link[n > 0 ? n : 0] = '\0';
		}
	}
	io_close(&fd);
	if (r)
		free(e->xattrs), e->xattrs = NULL;
	else
		drop_virtfs_names(e);
	return r;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	walk_meta_fn meta;
	walk_fn fn;
	void *ctx;
	struct qerr *err;
	char path[4096];
};

int walk_meta_virtfs(int dirfd, const char *name, struct walk_entry *e)
{
	return meta_virtfs(dirfd, name, e, false);
}

int walk_meta_virtfs_dev(int dirfd, const char *name, struct walk_entry *e)
{
	return meta_virtfs(dirfd, name, e, true);
}

static int walk_dir(struct walk *w, int dfd, size_t plen, int depth);

static int visit(struct walk *w, int dfd, const char *name, size_t plen, int depth)
{
	struct walk_entry e = { .path = w->path };
	int fd = -1, r;
	size_t n = plen;
	if (*name) {
		n += (size_t)snprintf(w->path + plen, sizeof w->path - plen, "%s%s", plen ? "/" : "", name);
		if (n >= sizeof w->path - 1)
			return qerr_set(w->err, ENAMETOOLONG, "%.64s...: path too long", w->path);
	}
	if ((r = w->meta(dfd, name, &e)) != 0) {
		w->path[plen] = '\0';
		return r > 0 ? 0 : qerr_sys(w->err, -r, "%s", *w->path ? w->path : "/");
	}
	if (S_ISREG(e.mode) && (fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = qerr_sys(w->err, errno, "open %s", w->path);
	if (!r)
		r = w->fn(w->ctx, &e, fd, dfd, name);
	io_close(&fd);
	free(e.xattrs);
	if (!r && S_ISDIR(e.mode)) {
		if (depth >= WALK_DEPTH)
			r = qerr_set(w->err, ELOOP, "%.64s...: more than %d directories deep", w->path, WALK_DEPTH);
		else if ((fd = openat(dfd, *name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			r = qerr_sys(w->err, errno, "open %s", *w->path ? w->path : "/");
		else
			r = walk_dir(w, fd, n, depth + 1);
		io_close(&fd);
	}
	w->path[plen] = '\0';
	return r;
}

static int walk_dir(struct walk *w, int dfd, size_t plen, int depth)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	if (!d) {
		io_close(&fd);
		return qerr_sys(w->err, errno, "read %s", *w->path ? w->path : "/");
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (vec_reserve(&names, &cap, n + 1, sizeof *names, 64) < 0) {
			r = qerr_set(w->err, ENOMEM, "out of memory");
			goto out;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = qerr_set(w->err, ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n) /* an empty directory: no names, and qsort must not see NULL */
		qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n && !r; i++)
		r = visit(w, dfd, names[i], plen, depth);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int walk_tree(const char *root, walk_meta_fn meta, walk_fn fn, void *ctx, struct qerr *err)
{
	struct walk w = { .meta = meta, .fn = fn, .ctx = ctx, .err = err };
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return qerr_sys(err, errno, "open %s", root);
	int r = visit(&w, dfd, "", 0, 0);
	close(dfd);
	return r;
}

/* ---- the tar stream ---------------------------------------------------- */

struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct stream {
	struct archive *a;
	int layer;               /* the layer file */
	struct sha *sha;
	int64_t epoch;           /* the root's mtime */
	int64_t clamp;           /* no mtime after it (SOURCE_DATE_EPOCH, when set) */
	int64_t newest;          /* the newest mtime written */
	struct link *links;      /* open addressing on (dev, ino) */
	size_t nlinks, cap;
	struct qerr *err;
	char buf[1 << 16];
};

static la_ssize_t sink(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct stream *s = ctx;
	int e;
	sha_update(s->sha, buf, n);
	if ((e = io_write_all(s->layer, buf, n)) < 0) {
		archive_set_error(a, -e, "%s", strerror(-e));
		return -1;
	}
	return (la_ssize_t)n;
}

/* The first path of a multiply linked file, or NULL (and it is noted). */
static const char *link_of(struct stream *s, const struct walk_entry *e)
{
	if (s->nlinks * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct link *v = calloc(cap, sizeof *v);
		if (!v)
			return NULL;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->links[i].path)
				continue;
			size_t h = ((size_t)s->links[i].ino * 31 + (size_t)s->links[i].dev) & (cap - 1);
			while (v[h].path)
				h = (h + 1) & (cap - 1);
			v[h] = s->links[i];
		}
		free(s->links);
		s->links = v;
		s->cap = cap;
	}
	size_t h = ((size_t)e->ino * 31 + (size_t)e->dev) & (s->cap - 1);
	for (; s->links[h].path; h = (h + 1) & (s->cap - 1))
		if (s->links[h].ino == e->ino && s->links[h].dev == e->dev)
			return s->links[h].path;
	if ((s->links[h].path = strdup(e->path))) {
		s->links[h].dev = e->dev;
		s->links[h].ino = e->ino;
		s->nlinks++;
	}
	return NULL;
}

static void add_xattrs(struct archive_entry *ae, const struct walk_entry *e, int dirfd, const char *name)
{
	char p[64 + 4096], val[65536];
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dirfd, *name ? name : ".");
	for (size_t i = 0; i < e->xattrs_len; i += strlen(e->xattrs + i) + 1) {
		ssize_t n = lgetxattr(p, e->xattrs + i, val, sizeof val);
		if (n >= 0)
			archive_entry_xattr_add_entry(ae, e->xattrs + i, val, (size_t)n);
	}
}

static int emit(void *ctx, const struct walk_entry *e, int fd, int dirfd, const char *name)
{
	struct stream *s = ctx;
	struct archive_entry *ae = archive_entry_new();
	int r = 0;
	if (!ae)
		return qerr_set(s->err, ENOMEM, "out of memory");
	char path[4100];
	snprintf(path, sizeof path, "%s%s", *e->path ? e->path : ".", S_ISDIR(e->mode) ? "/" : "");
	archive_entry_set_pathname(ae, path);
	archive_entry_set_mode(ae, e->mode);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	/* The root's mtime is the unpack's, not the image's: the build's
	 * epoch instead; with SOURCE_DATE_EPOCH set, nothing is newer than it
	 * (a parent directory the packer had to create, for one). */
	int64_t mt = !*e->path ? s->epoch : e->mtime < s->clamp ? e->mtime : s->clamp;
	archive_entry_set_mtime(ae, mt, 0);
	if (mt > s->newest)
		s->newest = mt;
	const char *first = S_ISREG(e->mode) && e->nlink > 1 ? link_of(s, e) : NULL;
	if (first) {
		archive_entry_set_hardlink(ae, first);
		archive_entry_set_size(ae, 0);
	} else {
		archive_entry_set_size(ae, (la_int64_t)e->size);
		if (S_ISLNK(e->mode))
			archive_entry_set_symlink(ae, e->link);
		if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
			archive_entry_set_rdev(ae, e->rdev);
		add_xattrs(ae, e, dirfd, name);
	}
	if (archive_write_header(s->a, ae) != ARCHIVE_OK) {
		r = qerr_set(s->err, EIO, "tar %s: %s", pq(e->path), archive_error_string(s->a));
		goto out;
	}
	uint64_t left = first ? 0 : e->size;
	while (fd >= 0 && left) {
		ssize_t n = io_read(fd, s->buf, left < sizeof s->buf ? (size_t)left : sizeof s->buf);
		if (n <= 0) {
			r = n < 0 ? qerr_sys(s->err, (int)-n, "read %s", pq(e->path))
				  : qerr_set(s->err, EIO, "%s shrank while it was read", pq(e->path));
			goto out;
		}
		if (archive_write_data(s->a, s->buf, (size_t)n) != n) {
			r = qerr_set(s->err, EIO, "tar %s: %s", pq(e->path), archive_error_string(s->a));
			goto out;
		}
		left -= (uint64_t)n;
	}
out:
	archive_entry_free(ae);
	return r;
}

/* Whether this process may make a user namespace (unshare(1) can map it). */
static bool userns_ok(void)
{
	pid_t pid = fork();
	int st;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	if (pid < 0)
		return false;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool rootfs_owners_exact(void)
{
	return geteuid() == 0 || userns_ok();
}

/* mksquashfs - OUT -tar, reading in; its messages to errfd. */
static int spawn_mksquashfs(const char *out, const struct walk_entry *root, int64_t epoch, int in, int errfd,
			    pid_t *pid, struct qerr *err)
{
	char t[48], m[16], u[16], g[16];
	snprintf(t, sizeof t, "SOURCE_DATE_EPOCH=%jd", (intmax_t)epoch);
	snprintf(m, sizeof m, "%o", (unsigned)(root->mode & 07777));
	snprintf(u, sizeof u, "%u", root->uid);
	snprintf(g, sizeof g, "%u", root->gid);
	/* Uncompressed: under TCG the guest's inflate costs more than the
	 * bytes it saves (docs/performance.md). The root directory is not in
	 * the tar stream for mksquashfs: its owner and mode are given. */
	char *args[] = { "unshare", "--user", "--map-root-user", "--",
			 "mksquashfs", "-", (char *)out, "-tar", "-noappend", "-quiet", "-no-progress",
			 "-exit-on-error", "-root-mode", m, "-root-uid", u, "-root-gid", g, "-noI", "-noD", "-noF",
			 "-noX", NULL };
	char **argv = args + 4;
	if (geteuid() != 0) {
		if (userns_ok())
			argv = args;
		else
			pk_warn("bundle: no user namespace for mksquashfs: the squashfs root directory is uid %u, not 0",
				(unsigned)getuid());
	}
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof *env);
	if (!env)
		return qerr_set(err, ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SOURCE_DATE_EPOCH=", 18))
			env[k++] = environ[i];
	env[k] = t;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	int e = posix_spawnp(pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return e ? qerr_set(err, e, "cannot run mksquashfs: %s (install squashfs-tools)", strerror(e)) : 0;
}

int rootfs_build(const char *root_dir, walk_meta_fn meta, const char *layer_path, char layer_hex[65],
		 const char *sqfs_path, int64_t epoch, int64_t clamp, struct qerr *err)
{
	struct stream s = { .layer = -1, .err = err, .epoch = epoch, .clamp = clamp };
	int in = -1, errfd = -1, e = 0, st;
	pid_t pid = -1;
	struct walk_entry root = { .path = "" };
	if ((s.layer = open(layer_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		e = qerr_sys(err, errno, "create %s", layer_path);
		goto out;
	}
	if (!(s.sha = sha_new()) || !(s.a = archive_write_new())) {
		e = qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	archive_write_set_format_pax_restricted(s.a);
	if (archive_write_open(s.a, &s, NULL, sink, NULL) != ARCHIVE_OK) {
		e = qerr_set(err, EIO, "tar: %s", archive_error_string(s.a));
		goto out;
	}
	if ((e = walk_tree(root_dir, meta, emit, &s, err)))
		goto out;
	if (archive_write_close(s.a) != ARCHIVE_OK) {
		e = qerr_set(err, EIO, "tar: %s", archive_error_string(s.a));
		goto out;
	}
	sha_hex(s.sha, layer_hex);
	/* mksquashfs reads the finished layer from the file: from a pipe, its
	 * -tar reader (4.5.1) gives other bytes for other read sizes. */
	int rfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = rfd < 0 ? -errno : meta(rfd, "", &root);
	io_close(&rfd);
	if (e) {
		e = qerr_sys(err, e < 0 ? -e : EINVAL, "%s", root_dir);
		goto out;
	}
	if ((in = open(layer_path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (errfd = memfd_create("qpod-mksquashfs", MFD_CLOEXEC)) < 0) {
		e = qerr_sys(err, errno, "%s", layer_path);
		goto out;
	}
	if ((e = spawn_mksquashfs(sqfs_path, &root, s.newest > epoch ? s.newest : epoch, in, errfd, &pid, err)))
		goto out;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char why[200] = "";
		ssize_t n = pread(errfd, why, sizeof why - 1, 0);
		why[n > 0 ? n : 0] = '\0';
		why[strcspn(why, "\r\n")] = '\0';
		e = qerr_set(err, EIO, "mksquashfs failed: %s", *why ? why : "no message");
	}
out:
	if (s.a)
		archive_write_free(s.a);
	if (s.sha)
		sha_free(s.sha);
	for (size_t i = 0; i < s.cap; i++)
		free(s.links[i].path);
	free(s.links);
	free(root.xattrs);
	io_close(&s.layer);
	io_close(&in);
	io_close(&errfd);
	return e;
}
