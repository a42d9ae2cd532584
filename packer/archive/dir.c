/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir.c: an image directory as the outer archive. An OCI image layout
 * (`oci-layout`, `index.json`, `blobs/`, as `skopeo copy ... oci:DIR:REF`
 * writes it) or an unpacked `docker save` (`manifest.json` at the top)
 * presents the member interface of outer.c, so docker.c, oci.c and
 * legacy.c read it exactly as they read the archive:
 *
 *   - the index is one walk of the tree (readdir, fstatat without
 *     following): regular files are M_FILE members with their size,
 *     directories M_DIR, symlinks M_SYMLINK with the target as stored (so
 *     outer_lookup() follows them lexically and refuses those that leave the
 *     directory, as it does in a tar), anything else (FIFOs, sockets, device
 *     nodes) M_OTHER, which no reader opens. Symlinked directories are not
 *     descended into. Bounded: PK_MAX_MEMBERS members, PK_MAX_DIR_DEPTH
 *     levels, link targets under PATH_MAX.
 *   - member data is read by pread from an fd opened with root_open() (layer/
 *     rootpath.c: openat2 RESOLVE_IN_ROOT, or the same walk in user space),
 *     O_NOFOLLOW and O_NONBLOCK, and must still be a regular file of the size
 *     indexed: a file swapped for a symlink, a FIFO or another size after the
 *     walk is refused, and nothing outside the directory is ever opened.
 *     Digests are checked as for archives, so a changed blob is found too.
 *
 * A directory is an image when it holds a regular file `oci-layout`,
 * `manifest.json` or `repositories` (legacy docker save) at its top;
 * anything else is a root directory to the runner.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/formats.h"
#include "io.h"
#include "layer/rootpath.h"

static const char *const markers[] = { "oci-layout", "manifest.json", "repositories" };

int dir_image_kind(int dfd)
{
	for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) {
		struct stat st;
		if (fstatat(dfd, markers[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			return (int)i + 1;
	}
	return 0;
}

bool dir_is_image(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool yes = dir_image_kind(fd) > 0;
	close(fd);
	return yes;
}

static int walk(struct outer *o, int dfd, const char *prefix, int depth, struct qerr *err)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return qerr_sys(err, errno, "%s: %s", pq(o->shown), prefix[0] ? pq(prefix) : ".");
	}
	int r = 0;
	struct dirent *de;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		char name[PATH_MAX], link[PATH_MAX];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) >= (int)sizeof name) {
			r = qerr_set(err, ENAMETOOLONG, "%s: a name under %s is too long", pq(o->shown), pq(prefix));
			break;
		}
		if (o->n >= PK_MAX_MEMBERS) {
			r = qerr_set(err, E2BIG, "%s: more than %d files", pq(o->shown), PK_MAX_MEMBERS);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = qerr_sys(err, errno, "%s: %s", pq(o->shown), pq(name));
			break;
		}
		struct member *m = NULL;
		if (S_ISREG(st.st_mode)) {
			if ((m = outer_member_new(o, name, M_FILE, NULL)))
				m->size = (uint64_t)st.st_size;
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof link);
			if (n < 0 || n >= (ssize_t)sizeof link) {
				r = qerr_set(err, ENAMETOOLONG, "%s: symlink %s: unreadable or too long", pq(o->shown), pq(name));
				break;
			}
			link[n] = '\0';
			m = outer_member_new(o, name, M_SYMLINK, link);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= PK_MAX_DIR_DEPTH) {
				r = qerr_set(err, ELOOP, "%s: %s: directories nested more than %d deep", pq(o->shown), pq(name), PK_MAX_DIR_DEPTH);
				break;
			}
			if (!(m = outer_member_new(o, name, M_DIR, NULL))) {
				r = qerr_set(err, ENOMEM, "out of memory");
				break;
			}
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? qerr_sys(err, errno, "%s: %s", pq(o->shown), pq(name)) : walk(o, sub, m->name, depth + 1, err);
			continue;
		} else {
			m = outer_member_new(o, name, M_OTHER, NULL);
		}
		if (!m)
			r = qerr_set(err, ENOMEM, "out of memory");
		errno = 0;
	}
	if (r == 0 && errno)
		r = qerr_sys(err, errno, "%s: %s", pq(o->shown), prefix[0] ? pq(prefix) : ".");
	closedir(d);
	return r;
}

int dir_index(struct outer *o, struct qerr *err)
{
	int fd = openat(o->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return qerr_sys(err, errno, "%s", pq(o->shown));
	return walk(o, fd, "", 0, err);
}

int dir_member_open(struct outer *o, const struct member *m, struct qerr *err)
{
	struct stat st;
	int fd = root_open(o->fd, m->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return qerr_sys(err, -fd, "%s: %s", pq(o->shown), pq(m->name));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->size) {
		close(fd);
		return qerr_set(err, EIO, "%s: %s changed while it was read", pq(o->shown), pq(m->name));
	}
	return fd;
}

void dir_stamp(int dfd, char *out, size_t cap)
{
	static const char *const files[] = { "oci-layout", "index.json", "manifest.json", "repositories" };
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof files / sizeof *files && o < cap; i++) {
		struct stat st;
		int n = fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0
			? snprintf(out + o, cap - o, "-\n")
			: snprintf(out + o, cap - o, "%llu %llu %o %lld.%09ld %lld.%09ld\n", (unsigned long long)st.st_ino,
				   (unsigned long long)st.st_size, (unsigned)st.st_mode, (long long)st.st_mtim.tv_sec,
				   st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		o += n > 0 ? (size_t)n : 0;
	}
}
