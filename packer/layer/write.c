/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write.c: create one layer entry in its (already resolved) parent directory.
 *
 * Every call works on a parent fd that rootpath.c resolved inside the root
 * and a final name that is never followed: O_CREAT|O_EXCL|O_NOFOLLOW,
 * mkdirat, symlinkat, mkfifoat, linkat without AT_SYMLINK_FOLLOW and the
 * AT_SYMLINK_NOFOLLOW forms. So whatever an entry's name or a symlink in the
 * tree says, nothing outside the rootfs is touched.
 *
 * Replacing follows docker's unpacker: a directory over a directory merges
 * (the new metadata wins); anything else removes what is there first,
 * including a whole directory tree or a symlink (the link, not its target).
 * Metadata order: owner, then mode (chown clears setuid), then xattrs (file
 * capabilities too are cleared by chown), then times. Directory times are
 * set when the layer is done, after their contents (write_dirtimes).
 * Hardlinks keep their target's metadata, as GNU tar and bsdtar do.
 * Owners are set only as root; xattrs the host refuses are counted and
 * reported once by the caller. Without root the files are the user's, so
 * host_mode drops setuid, setgid and group/other write: a user's cache must
 * not hand another account a setuid-to-this-user program or a writable file.
 * The image's true owner and mode go into qemu's mapped-xattr xattrs
 * (virtfs.h) instead, which the guest sees; fifos and device nodes become
 * empty regular files carrying their type (and rdev) there, never a node on
 * the host; symlinks stay real until the unpack ends (later layers resolve
 * through them) and their owners wait in ap->links for mapped.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/virtfs.h"
#include "io.h"
#include "layer/write.h"

static int fail(struct applier *ap, int errnum, const char *path, const char *what)
{
	return qerr_sys(ap->err, errnum, "%s: entry \"%s\": %s", ap->what, pq(path), what);
}

static struct timespec entry_mtime(struct archive_entry *e)
{
	struct timespec t = { 0, 0 };
	if (archive_entry_mtime_is_set(e)) {
		t.tv_sec = archive_entry_mtime(e);
		t.tv_nsec = archive_entry_mtime_nsec(e);
		if (t.tv_nsec < 0 || t.tv_nsec >= 1000000000)
			t.tv_nsec = 0;
	}
	return t;
}

static int owner(struct applier *ap, struct archive_entry *e, uid_t *u, gid_t *g, const char *path)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
		return qerr_set(ap->err, ERANGE, "%s: entry \"%s\": owner %lld:%lld out of range",
				ap->what, pq(path), (long long)uid, (long long)gid);
	*u = (uid_t)uid;
	*g = (gid_t)gid;
	return 0;
}

static void xattrs_fd(struct applier *ap, struct archive_entry *e, int fd)
{
	const char *name;
	const void *val;
	size_t size;
	if (!archive_entry_xattr_reset(e))
		return;
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK)
		if (fsetxattr(fd, name, val, size, 0) < 0)
			ap->xattrs_refused++;
}

/* The mode to give the host file: the entry's, made harmless without root
 * (the owner can always read and write it, and enter a directory). */
static mode_t host_mode(const struct applier *ap, mode_t perm, bool dir)
{
	mode_t mode = perm & 07777;
	if (ap->root)
		return mode;
	mode &= ~(mode_t)(S_ISUID | S_ISGID | S_IWGRP | S_IWOTH);
	return mode | S_IRUSR | S_IWUSR | (dir ? S_IXUSR : 0);
}

/* Without root: the entry's owner and its whole mode (type included) in
 * the mapped-xattr xattrs of fd. */
static int mapped_fd(struct applier *ap, int fd, uid_t u, gid_t g, mode_t mode, dev_t rdev, const char *path)
{
	struct virtfs_cred c = { .uid = u, .gid = g, .mode = mode, .rdev = rdev };
	struct qerr e;
	if (virtfs_set(fd, &c, &e) < 0)
		return qerr_set(ap->err, e.code, "%s: entry \"%s\": %s", ap->what, pq(path), e.msg);
	return 0;
}

/* Owner, mode and xattrs of an open file or directory; type is the mode's
 * type bits the guest sees (S_IFREG, S_IFDIR, or a placeholder's). */
static int meta_fd(struct applier *ap, struct archive_entry *e, int fd, mode_t type, const char *path)
{
	uid_t u;
	gid_t g;
	int r = owner(ap, e, &u, &g, path);
	if (r < 0)
		return r;
	if (ap->root && fchown(fd, u, g) < 0)
		return fail(ap, errno, path, "chown");
	if (fchmod(fd, host_mode(ap, archive_entry_perm(e), type == S_IFDIR)) < 0)
		return fail(ap, errno, path, "chmod");
	if (!ap->root && (r = mapped_fd(ap, fd, u, g, type | (archive_entry_perm(e) & 07777),
					type == S_IFCHR || type == S_IFBLK ? archive_entry_rdev(e) : 0, path)) < 0)
		return r;
	xattrs_fd(ap, e, fd);
	return 0;
}

/* Without root: remember a symlink's owner for mapped.c (Linux keeps no
 * user xattrs on a symlink). */
static int links_add(struct applier *ap, const char *path, uid_t u, gid_t g)
{
	if (ap->nlinks == ap->caplinks) {
		size_t cap = ap->caplinks ? ap->caplinks * 2 : 256;
		struct linkowner *l = realloc(ap->links, cap * sizeof *l);
		if (!l)
			return qerr_set(ap->err, ENOMEM, "out of memory");
		ap->links = l;
		ap->caplinks = cap;
	}
	char *p = strdup(path);
	if (!p)
		return qerr_set(ap->err, ENOMEM, "out of memory");
	ap->links[ap->nlinks] = (struct linkowner){ .path = p, .uid = u, .gid = g, .seq = ap->nlinks };
	ap->nlinks++;
	return 0;
}

/* Owner and times of something that cannot be opened (symlink, fifo). */
static int meta_at(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	uid_t u;
	gid_t g;
	int r = owner(ap, e, &u, &g, path);
	if (r < 0)
		return r;
	if (ap->root && fchownat(pfd, base, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(ap, errno, path, "chown");
	struct timespec t[2] = { entry_mtime(e), entry_mtime(e) };
	if (utimensat(pfd, base, t, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(ap, errno, path, "set times");
	return 0;
}

/* Make room for a new entry named base in pfd: a directory stays when
 * keep_dir (returns 1), anything else is removed (0). */
static int make_room(struct applier *ap, int pfd, const char *base, bool keep_dir, const char *path)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(ap, errno, path, "stat");
	if (S_ISDIR(st.st_mode) && keep_dir)
		return 1;
	if (S_ISDIR(st.st_mode)) {
		int64_t freed = 0;
		int r = rmtree_at(pfd, base, &freed);
		ap->bytes -= freed;
		rootpath_reset(&ap->rp);
		return r < 0 ? fail(ap, -r, path, "remove the directory in the way") : 0;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		ap->bytes -= st.st_size;
	if (S_ISLNK(st.st_mode))
		rootpath_reset(&ap->rp);
	if (unlinkat(pfd, base, 0) < 0)
		return fail(ap, errno, path, "remove the file in the way");
	return 0;
}

static int write_data(struct applier *ap, struct archive *tar, int fd, uint64_t size, const char *path)
{
	uint64_t end = 0;
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int s = archive_read_data_block(tar, &p, &n, &off);
		if (s == ARCHIVE_EOF)
			break;
		if (s != ARCHIVE_OK)
			return qerr_set(ap->err, EIO, "%s: entry \"%s\": %s", ap->what, pq(path), archive_error_string(tar));
		if (off < 0 || (uint64_t)off > size || n > size - (uint64_t)off)
			return qerr_set(ap->err, EINVAL, "%s: entry \"%s\": data beyond its size", ap->what, pq(path));
		for (size_t done = 0; done < n;) {
			ssize_t w = pwrite(fd, (const char *)p + done, n - done, off + (off_t)done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return fail(ap, w < 0 ? errno : EIO, path, "write");
			done += (size_t)w;
		}
		end = (uint64_t)off + n;
	}
	if (end < size && ftruncate(fd, (off_t)size) < 0)
		return fail(ap, errno, path, "truncate");
	return 0;
}

int write_file(struct applier *ap, struct archive *tar, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	uint64_t size = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
	if (size > ap->max_file)
		return qerr_set(ap->err, EFBIG, "%s: entry \"%s\" is %llu bytes, more than the limit of %llu (--max-bytes)",
				ap->what, pq(path), (unsigned long long)size, (unsigned long long)ap->max_file);
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		int r = make_room(ap, pfd, base, false, path);
		if (r < 0)
			return r;
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return fail(ap, errno, path, "create");
	int r = write_data(ap, tar, fd, size, path);
	if (r == 0)
		r = meta_fd(ap, e, fd, S_IFREG, path);
	struct timespec t[2] = { entry_mtime(e), entry_mtime(e) };
	if (r == 0 && futimens(fd, t) < 0)
		r = fail(ap, errno, path, "set times");
	if (close(fd) < 0 && r == 0)
		r = fail(ap, errno, path, "close");
	if (r == 0) {
		ap->bytes += (int64_t)size;
		ap->files++;
	}
	return r;
}

static int dirtime_add(struct applier *ap, const char *path, struct timespec mtime)
{
	if (ap->ndirs == ap->capdirs) {
		size_t cap = ap->capdirs ? ap->capdirs * 2 : 256;
		struct dirtime *d = realloc(ap->dirs, cap * sizeof *d);
		if (!d)
			return qerr_set(ap->err, ENOMEM, "out of memory");
		ap->dirs = d;
		ap->capdirs = cap;
	}
	char *p = strdup(path);
	if (!p)
		return qerr_set(ap->err, ENOMEM, "out of memory");
	ap->dirs[ap->ndirs++] = (struct dirtime){ .path = p, .mtime = mtime };
	return 0;
}

int write_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	int fd;
	if (!path[0])
		fd = openat(ap->rp.rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		if (mkdirat(pfd, base, 0700) < 0) {
			int r = errno == EEXIST ? make_room(ap, pfd, base, true, path) : fail(ap, errno, path, "mkdir");
			if (r < 0)
				return r;
			if (r == 0 && mkdirat(pfd, base, 0700) < 0)
				return fail(ap, errno, path, "mkdir");
		}
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return fail(ap, errno, path, "open the directory");
	int r = meta_fd(ap, e, fd, S_IFDIR, path);
	close(fd);
	return r < 0 ? r : dirtime_add(ap, path, entry_mtime(e));
}

int write_symlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !target[0])
		return qerr_set(ap->err, EINVAL, "%s: entry \"%s\": symlink with an empty target", ap->what, pq(path));
	if (strlen(target) >= PATH_MAX)
		return qerr_set(ap->err, ENAMETOOLONG, "%s: entry \"%s\": symlink target too long", ap->what, pq(path));
	if (symlinkat(target, pfd, base) < 0) {
		int r = errno == EEXIST ? make_room(ap, pfd, base, false, path) : fail(ap, errno, path, "symlink");
		if (r < 0)
			return r;
		if (symlinkat(target, pfd, base) < 0)
			return fail(ap, errno, path, "symlink");
	}
	int r = meta_at(ap, e, pfd, base, path);
	uid_t u;
	gid_t g;
	if (r == 0 && !ap->root && (r = owner(ap, e, &u, &g, path)) == 0)
		r = links_add(ap, path, u, g);
	return r;
}

/* Without root, a fifo or device node: an empty regular file whose
 * mapped-xattr mode (and rdev) says what the guest sees. */
static int write_placeholder(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
			     const char *path, mode_t type)
{
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		int r = make_room(ap, pfd, base, false, path);
		if (r < 0)
			return r;
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return fail(ap, errno, path, "create");
	int r = meta_fd(ap, e, fd, type, path);
	struct timespec t[2] = { entry_mtime(e), entry_mtime(e) };
	if (r == 0 && futimens(fd, t) < 0)
		r = fail(ap, errno, path, "set times");
	if (close(fd) < 0 && r == 0)
		r = fail(ap, errno, path, "close");
	return r;
}

int write_device(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	return write_placeholder(ap, e, pfd, base, path, archive_entry_filetype(e) == AE_IFBLK ? S_IFBLK : S_IFCHR);
}

int write_fifo(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	if (!ap->root)
		return write_placeholder(ap, e, pfd, base, path, S_IFIFO);
	if (mkfifoat(pfd, base, 0600) < 0) {
		int r = errno == EEXIST ? make_room(ap, pfd, base, false, path) : fail(ap, errno, path, "mkfifo");
		if (r < 0)
			return r;
		if (mkfifoat(pfd, base, 0600) < 0)
			return fail(ap, errno, path, "mkfifo");
	}
	int r = meta_at(ap, e, pfd, base, path);
	if (r == 0 && fchmodat(pfd, base, host_mode(ap, archive_entry_perm(e), false), 0) < 0)
		r = fail(ap, errno, path, "chmod");
	return r;
}

/* The target of a hardlink, resolved in the root: its parent fd and base. */
static int link_target(struct applier *ap, struct archive_entry *e, const char *path,
		       char *tpath, size_t cap, int *tfd, const char **tbase)
{
	const char *raw = archive_entry_hardlink(e);
	int r = path_clean(raw, tpath, cap);
	if (r == -EXDEV)
		return qerr_set(ap->err, EXDEV, "%s: entry \"%s\": hardlink target \"%s\" climbs out of the root",
				ap->what, pq(path), pq(raw));
	if (r < 0 || !tpath[0])
		return qerr_set(ap->err, EINVAL, "%s: entry \"%s\": bad hardlink target \"%s\"", ap->what, pq(path), pq(raw));
	char tparent[PATH_MAX];
	*tbase = path_split(tpath, tparent, sizeof tparent);
	*tfd = rootpath_dir(&ap->rp, tparent, false);
	struct stat st;
	if (*tfd < 0 || fstatat(*tfd, *tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return qerr_set(ap->err, ENOENT, "%s: entry \"%s\": hardlink target \"%s\" does not exist",
				ap->what, pq(path), pq(raw));
	if (S_ISDIR(st.st_mode))
		return qerr_set(ap->err, EPERM, "%s: entry \"%s\": hardlink to a directory \"%s\"", ap->what, pq(path), pq(raw));
	return 0;
}

int write_hardlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path)
{
	char tpath[PATH_MAX];
	const char *tbase = NULL;
	int tfd = -1;
	/* pfd stays valid: the cache keeps two directories and pfd is the newest. */
	int r = link_target(ap, e, path, tpath, sizeof tpath, &tfd, &tbase);
	if (r < 0)
		return r;
	struct stat a, b;
	if (!strcmp(tpath, path) ||
	    (fstatat(pfd, base, &a, AT_SYMLINK_NOFOLLOW) == 0 && fstatat(tfd, tbase, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	     a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		return 0;
	if (linkat(tfd, tbase, pfd, base, 0) < 0) {
		r = errno == EEXIST ? make_room(ap, pfd, base, false, path) : fail(ap, errno, path, "link");
		if (r < 0)
			return r;
		if (linkat(tfd, tbase, pfd, base, 0) < 0)
			return fail(ap, errno, path, "link");
	}
	return 0;
}

int write_dirtimes(struct applier *ap)
{
	for (size_t i = ap->ndirs; i-- > 0;) {
		struct dirtime *d = &ap->dirs[i];
		int fd = root_open(ap->rp.rootfd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd >= 0) {
			struct timespec t[2] = { d->mtime, d->mtime };
			futimens(fd, t);
			close(fd);
		}
		free(d->path);
	}
	ap->ndirs = 0;
	return 0;
}
