/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.c: trust.h's check. One walk from / to the path, each component
 * opened O_PATH|O_NOFOLLOW relative to the one before and judged by fstat
 * of what was opened (never by a name looked up again): an ancestor by
 * judge_ancestor(), the last one by judge_last(). A symlink among the
 * ancestors that root or the caller owns is followed by restarting the
 * walk on the rewritten path (at most MAX_HOPS times); any other symlink is
 * refused. The last component is then opened for real, relative to its
 * checked parent, and must be the object that was checked (device, inode).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "trust.h"

#define MAX_HOPS 16

static int judge_ancestor(const struct stat *st, const char *shown, struct qerr *err)
{
	if (!S_ISDIR(st->st_mode))
		return qerr_set(err, ENOTDIR, "%s is not a directory", shown);
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return qerr_set(err, EPERM, "%s belongs to uid %u, not to you or root", shown, (unsigned)st->st_uid);
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return qerr_set(err, EPERM, "%s is writable by group or others", shown);
	return 0;
}

static int judge_last(const struct stat *st, bool file, unsigned flags, const char *shown, struct qerr *err)
{
	if (file ? !S_ISREG(st->st_mode) : !S_ISDIR(st->st_mode))
		return qerr_set(err, EPERM, "%s is not a %s", shown, file ? "regular file" : "directory");
	if (st->st_uid != geteuid() && !(flags & TRUST_ROOT && st->st_uid == 0))
		return qerr_set(err, EPERM, "%s belongs to uid %u, not to you", shown, (unsigned)st->st_uid);
	if (st->st_mode & 022)
		return qerr_set(err, EPERM, "%s is writable by group or others", shown);
	if (flags & TRUST_PRIVATE && st->st_mode & 077)
		return qerr_set(err, EACCES, "%s is not a private directory of this user (0700): group or others "
				"may open it", shown);
	return 0;
}

/* The path to walk: absolute, "." dropped, no "..". */
static int absolute(const char *path, char *out, size_t cap, struct qerr *err)
{
	char cwd[PATH_MAX];
	int n;
	if (!*path)
		return qerr_set(err, EINVAL, "an empty path");
	if (path[0] == '/')
		n = snprintf(out, cap, "%s", path);
	else if (!getcwd(cwd, sizeof cwd))
		return qerr_sys(err, errno, "%s: the current directory", path);
	else
		n = snprintf(out, cap, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= cap)
		return qerr_set(err, ENAMETOOLONG, "%.100s...: path too long", path);
	for (const char *p = out; (p = strstr(p, "..")); p += 2)
		if ((p == out || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return qerr_set(err, EINVAL, "%s: a path with \"..\" is not checked; give it without", path);
	return 0;
}

/* Rewrite buf as the link's target (relative to the directory walked,
 * done) followed by the components still to walk (rest). */
static int follow(int dfd, const char *name, const char *done, const char *rest, char *buf, size_t cap,
		  struct qerr *err)
{
	char target[PATH_MAX], next[PATH_MAX * 2];
	ssize_t n = readlinkat(dfd, name, target, sizeof target - 1);
	if (n <= 0)
		return qerr_sys(err, n < 0 ? errno : EINVAL, "%s/%s: read the link", done, name);
	target[n] = '\0';
	int k = target[0] == '/' ? snprintf(next, sizeof next, "%s/%s", target, rest)
				 : snprintf(next, sizeof next, "%s/%s/%s", done, target, rest);
	if (k < 0 || (size_t)k >= cap || (size_t)k >= sizeof next)
		return qerr_set(err, ENAMETOOLONG, "%s/%s: the link's target is too long", done, name);
	return absolute(next, buf, cap, err);
}

static int trust_walk(const char *path, unsigned flags, bool file, struct qerr *err)
{
	char buf[PATH_MAX], done[PATH_MAX];
	struct stat st;
	int e, fd = -1, hops = 0;
	if ((e = absolute(path, buf, sizeof buf, err)))
		return e;
restart:
	io_close(&fd);
	done[0] = '\0';
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return qerr_sys(err, errno, "/");
	if ((e = judge_ancestor(&st, "/", err)))
		goto out;
	for (char *p = buf;;) {
		p += strspn(p, "/");
		char *name = p, saved;
		p += strcspn(p, "/");
		saved = *p;
		*p = '\0';
		bool end = !saved || !p[1 + strspn(p + 1, "/")];
		if (!*name) {
			e = qerr_set(err, EINVAL, "%s: nothing to check", path);
			goto out;
		}
		if (!strcmp(name, ".")) {
			*p = saved;
			if (end) {
				e = qerr_set(err, EINVAL, "%s: ends in \".\"", path);
				goto out;
			}
			continue;
		}
		int next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && (flags & TRUST_CREATE) && !(file && end)) {
			if (mkdirat(fd, name, 0700) < 0 && errno != EEXIST) {
				e = qerr_sys(err, errno, "create %s/%s", done, name);
				goto out;
			}
			next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 || fstat(next, &st) < 0) {
			e = qerr_sys(err, errno, "%s/%s", done, name);
			io_close(&next);
			goto out;
		}
		size_t dl = strlen(done);
		snprintf(done + dl, sizeof done - dl, "/%s", name);
		if (S_ISLNK(st.st_mode)) {
			io_close(&next);
			done[dl] = '\0';
			if (end || (st.st_uid != 0 && st.st_uid != geteuid()) || ++hops > MAX_HOPS) {
				e = qerr_set(err, EPERM, "%s/%s is a symbolic link (not followed: give the real path)",
					     done, name);
				goto out;
			}
			if ((e = follow(fd, name, done, saved ? p + 1 : "", buf, sizeof buf, err)))
				goto out;
			goto restart;
		}
		e = end ? judge_last(&st, file, flags, done, err) : judge_ancestor(&st, done, err);
		if (e) {
			io_close(&next);
			goto out;
		}
		if (end) {
			/* The object checked, opened for use from its checked parent. */
			struct stat use;
			int real = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
						  (file ? 0 : O_DIRECTORY));
			io_close(&next);
			if (real < 0 || fstat(real, &use) < 0 || use.st_dev != st.st_dev || use.st_ino != st.st_ino) {
				e = real < 0 ? qerr_sys(err, errno, "%s", done)
					     : qerr_set(err, EPERM, "%s changed while it was checked", done);
				io_close(&real);
				goto out;
			}
			if (file && (e = io_nonblock(real, 0)) < 0) {
				io_close(&real);
				e = qerr_sys(err, -e, "%s", done);
				goto out;
			}
			io_close(&fd);
			return real;
		}
		io_close(&fd);
		fd = next;
		*p = saved;
	}
out:
	io_close(&fd);
	return e;
}

int trust_dir(const char *path, unsigned flags, struct qerr *err)
{
	return trust_walk(path, flags, false, err);
}

int trust_file(const char *path, unsigned flags, struct qerr *err)
{
	return trust_walk(path, flags & TRUST_ROOT, true, err);
}

int private_dir(const char *path, struct qerr *err)
{
	int fd = trust_dir(path, TRUST_CREATE | TRUST_PRIVATE, err);
	return fd < 0 ? fd : close(fd) * 0;
}
