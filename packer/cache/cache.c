/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.c: the content-addressed cache of unpacked images (its layout,
 * with every name in $QPOD_CACHE, is layout.h).
 *
 * key = sha256 of the image config (the image ID; it covers the layers'
 * diff_ids, which are verified), so the same image reached through any file
 * name, copy or format is unpacked once. identity = sha256 of the archive's
 * real path, device, inode, size, mtime and ctime plus the selected name and
 * platform: a warm run maps it to a key without reading the archive.
 *
 * Publishing: unpack into tmp/<key>.XXXXXX, then rename() it to
 * images/<key>. An interrupted unpack (kill -9, full disk) leaves only a tmp
 * directory that no lookup ever reads; whoever next holds <key>.unpack (or
 * prune, which tries every key's lock) removes it. Concurrent first runs of
 * one image: all wait on <key>.unpack, the first unpacks, the others find
 * the entry published when they get the lock.
 * Locks are lock.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/entry.h"
#include "common/virtfs.h"
#include "io.h"
#include "layout.h"
#include "trust.h"

static const char *const subdirs[] = { CACHE_IMAGES, CACHE_REFS, CACHE_LOCKS, CACHE_TMP };

int cache_dir_path(const struct pack_opts *o, char **out, struct qerr *err)
{
	const char *d = o && o->cache_dir && o->cache_dir[0] ? o->cache_dir : getenv("QPOD_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;
	*out = NULL;
	if (d && d[0])
		n = asprintf(out, "%s", d);
	else if (xdg && xdg[0] == '/')
		n = asprintf(out, "%s/qpod", xdg);
	else {
		if (!home || !home[0]) {
			struct passwd *pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return qerr_set(err, ENOENT, "no cache directory: set QPOD_CACHE or HOME");
		n = asprintf(out, "%s/.cache/qpod", home);
	}
	return n < 0 ? qerr_set(err, ENOMEM, "out of memory") : 0;
}

int pack_cache_dir(char **out, struct qerr *err)
{
	int r = cache_dir_path(NULL, out, err);
	if (r == 0 && (r = trust_dir(*out, TRUST_CREATE, err)) >= 0)
		return close(r) * 0;
	if (*out)
		qerr_wrap(err, "cache");
	free(*out);
	*out = NULL;
	return r;
}

/* What the runner reads from the cache, where it exists: trust.h's check,
 * or the run stops before qemu starts. A subdirectory qpod makes 0700 may
 * be more open and still not be refused here (templates/ readable by
 * others costs a cold boot: template.c). */
int pack_cache_trust(struct qerr *err)
{
	static const char *const sub[] = { "/" CACHE_IMAGES, "/" CACHE_REFS, "/" CACHE_LOCKS, "/" CACHE_TMP,
					   "/" CACHE_BUNDLES, "/" CACHE_BUNDLES "/" BUNDLES_VERIFIED,
					   "/" CACHE_TEMPLATES, "/" CACHE_TEMPLATES "/" TEMPLATES_DIGESTS };
	char *dir = NULL, p[PATH_MAX];
	struct stat st;
	int r = pack_cache_dir(&dir, err);
	for (size_t i = 0; r == 0 && i < sizeof sub / sizeof *sub; i++) {
		snprintf(p, sizeof p, "%s%s", dir, sub[i]);
		if (lstat(p, &st) < 0 && errno == ENOENT)
			continue;
		if ((r = trust_dir(p, 0, err)) < 0) {
			qerr_wrap(err, "cache");
			break;
		}
		r = close(r) * 0;
	}
	free(dir);
	return r;
}

int cache_open(struct cache *c, const struct pack_opts *o, struct qerr *err)
{
	*c = (struct cache){ .dfd = -1, .unpack_lock = -1, .tmpfd = -1, .rootfd = -1 };
	int r = cache_dir_path(o, &c->dir, err);
	if (r < 0)
		return r;
	/* Owned by us, all the way from / and down to each subdirectory
	 * (trust.h): nobody else can have put an entry there. */
	if ((c->dfd = trust_dir(c->dir, TRUST_CREATE, err)) < 0) {
		r = c->dfd;
		c->dfd = -1;
		qerr_wrap(err, "cache");
		return r;
	}
	char *abs = realpath(c->dir, NULL);   /* rootfs paths must be absolute */
	if (!abs)
		return qerr_sys(err, errno, "cache %s", pq(c->dir));
	free(c->dir);
	c->dir = abs;
	struct stat st;
	if (fstat(c->dfd, &st) < 0)
		return qerr_sys(err, errno, "cache %s", pq(c->dir));
	if ((st.st_mode & 0777) != 0700 && fchmod(c->dfd, 0700) < 0)
		return qerr_sys(err, errno, "cache %s: chmod 0700", pq(c->dir));
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", c->dir, subdirs[i]);
		if ((r = trust_dir(p, TRUST_CREATE, err)) < 0) {
			qerr_wrap(err, "cache");
			return r;
		}
		close(r);
	}
	return 0;
}

void cache_close(struct cache *c)
{
	cache_abort(c);
	io_close(&c->dfd);
	free(c->dir);
	c->dir = NULL;
}

void cache_identity(const char *real, const struct stat *st, const char *ref, const char *platform, char out[HEX64])
{
	char *s = NULL;
	int n = asprintf(&s, "qpod-ref-1\n%s\n%llu %llu %llu %lld.%09ld %lld.%09ld\n%s\n%s\n", real,
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			 (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, ref ? ref : "", platform);
	if (n < 0) {
		out[0] = '\0';
		return;
	}
	sha256_hex(s, (size_t)n, out);
	free(s);
}

int cache_ref_get(struct cache *c, const char *ident, char key[HEX64])
{
	char name[100];
	snprintf(name, sizeof name, CACHE_REFS "/%s", ident);
	int fd = openat(c->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = io_read_text(fd, key, HEX64);
	key[n == 64 ? 64 : 0] = '\0';
	return is_hex64(key) ? 0 : -EINVAL;
}

void cache_ref_put(struct cache *c, const char *ident, const char *key, const char *note)
{
	char name[100], tmp[120];
	snprintf(name, sizeof name, CACHE_REFS "/%s", ident);
	snprintf(tmp, sizeof tmp, CACHE_REFS "/.%s.%d", ident, (int)getpid());
	int fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	int r = io_write_all(fd, key, 64);
	if (r == 0 && note)
		r = io_write_all(fd, "\n", 1) < 0 ? -1 : io_write_all(fd, note, strlen(note));
	if (close(fd) < 0 || r < 0 || renameat(c->dfd, tmp, c->dfd, name) < 0)
		unlinkat(c->dfd, tmp, 0);
}

bool cache_has(struct cache *c, const char *key)
{
	char name[100];
	struct stat st;
	snprintf(name, sizeof name, CACHE_IMAGES "/%s/rootfs", key);
	return fstatat(c->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int cache_use(struct cache *c, const char *key, struct image *img, struct qerr *err)
{
	char name[100];
	if (!cache_has(c, key))
		return 0;
	snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_USE, key);
	int fd = lock_take(c->dfd, name, LOCK_SH, err);
	if (fd < 0)
		return fd;
	if (!cache_has(c, key)) {       /* pruned between the check and the lock */
		close(fd);
		return 0;
	}
	char entry[PATH_MAX];
	snprintf(entry, sizeof entry, "%s/" CACHE_IMAGES "/%s", c->dir, key);
	int r = trust_dir(entry, 0, err);
	if (r < 0) {
		qerr_wrap(err, "cache");
	} else {
		close(r);
		r = entry_read(c, key, img, err);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	snprintf(name, sizeof name, CACHE_IMAGES "/%s/used", key);
	utimensat(c->dfd, name, NULL, 0);
	img->lock_fd = fd;
	return 1;
}

/* Remove tmp/<key>.* left by unpacks that died (we hold <key>.unpack). */
void cache_clean_stale(struct cache *c, const char *key)
{
	int fd = openat(c->dfd, CACHE_TMP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	size_t n = strlen(key);
	if (!d) {
		io_close(&fd);
		return;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, key, n) && de->d_name[n] == '.')
			rmtree_at(dirfd(d), de->d_name, NULL);
	closedir(d);
}

int cache_begin(struct cache *c, const char *key, struct qerr *err)
{
	char name[PATH_MAX];
	snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_UNPACK, key);
	int fd = lock_take(c->dfd, name, LOCK_EX, err);
	if (fd < 0)
		return fd;
	if (cache_has(c, key)) {
		close(fd);
		return 1;
	}
	c->unpack_lock = fd;
	cache_clean_stale(c, key);
	if (snprintf(name, sizeof name, "%s/" CACHE_TMP "/%s.XXXXXX", c->dir, key) >= (int)sizeof name)
		return qerr_set(err, ENAMETOOLONG, "cache path too long");
	if (!mkdtemp(name))
		return qerr_sys(err, errno, "cache: mkdtemp %s", pq(name));
	c->tmp = strdup(name + strlen(c->dir) + 1);
	if (!c->tmp)
		return qerr_set(err, ENOMEM, "out of memory");
	c->tmpfd = openat(c->dfd, c->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (c->tmpfd < 0 || mkdirat(c->tmpfd, "rootfs", 0755) < 0 || fchmodat(c->tmpfd, "rootfs", 0755, 0) < 0 ||
	    (c->rootfd = openat(c->tmpfd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return qerr_sys(err, errno, "cache: %s/%s", pq(c->dir), pq(c->tmp));
	/* Without root the owners go into user xattrs: refuse, before any
	 * work, a filesystem that cannot keep them. */
	return geteuid() == 0 ? 0 : virtfs_probe(c->rootfd, c->dir, err);
}

static int write_at(int dfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int r = io_write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int cache_publish(struct cache *c, const struct entry_meta *e, struct qerr *err)
{
	char name[100];
	struct jw w;
	int r = entry_json(e, &w);
	if (r < 0) {
		jw_free(&w);
		return qerr_set(err, -r, "cache entry: out of memory");
	}
	r = write_at(c->tmpfd, "config.json", w.buf, w.len);
	jw_free(&w);
	if (r == 0)
		r = write_at(c->tmpfd, "used", "", 0);
	if (r < 0)
		return qerr_sys(err, -r, "cache: %s/%s", pq(c->dir), pq(c->tmp));
	snprintf(name, sizeof name, CACHE_IMAGES "/%s", e->id);
	io_close(&c->rootfd);
	io_close(&c->tmpfd);
	if (renameat(c->dfd, c->tmp, c->dfd, name) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		return qerr_sys(err, errno, "cache: publish %s", pq(name));
	cache_abort(c);   /* removes the tmp dir if someone else's copy won */
	return 0;
}

void cache_abort(struct cache *c)
{
	io_close(&c->rootfd);
	io_close(&c->tmpfd);
	if (c->tmp && c->dfd >= 0)
		rmtree_at(c->dfd, c->tmp, NULL);
	free(c->tmp);
	c->tmp = NULL;
	io_close(&c->unpack_lock);
}
