/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cachels.c: `--cache ls` and `--cache prune`.
 *
 * ls prints one line per entry: key (12 hex), size, last use, whether a VM
 * holds it now, and what it was unpacked from:
 *
 *   IMAGE         SIZE      LAST USED         USE   NAME / SOURCE
 *   3f57d9401f8d  4.3 MB    2025-01-02 10:11  -     busybox:latest (/x/busybox.tar)
 *                 docker://docker.io/library/busybox:latest  sha256:3fbc6321...
 *
 * followed by the references pulled into it (refs/ with a note, source/pull.c)
 * and the digest each resolved to.
 * prune removes entries not in use (their .use lock can be taken
 * exclusively, without waiting) whose last use is older than the given age.
 * An entry is first renamed into tmp/ (so no run can start using a half
 * removed tree), then deleted. Refs to removed entries, lock files of
 * removed entries, and stale tmp/ dirs of dead unpacks go too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/entry.h"
#include "io.h"
#include "layout.h"
#include "vec.h"

struct ent {
	char key[HEX64];
	time_t used;
	int64_t size;
	char name[160], source[320];
};

static void human(int64_t n, char *out, size_t cap)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 4)
		v /= 1000, u++;
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void ent_info(struct cache *c, struct ent *e)
{
	struct json j;
	char *buf, used[100];
	struct stat st;
	struct qerr ignore;
	snprintf(used, sizeof used, CACHE_IMAGES "/%s/used", e->key);
	e->used = fstatat(c->dfd, used, &st, 0) == 0 ? st.st_mtime : 0;
	e->size = 0;
	strcpy(e->name, "?");
	e->source[0] = '\0';
	if (entry_load(c, e->key, &j, &buf, &ignore) < 0)
		return;
	int64_t v;
	if (json_int(&j, json_get(&j, 0, "size"), &v) == 0)
		e->size = v;
	if (json_str(&j, json_get(&j, 0, "name"), e->name, sizeof e->name) <= 0)
		strcpy(e->name, "-");
	json_str(&j, json_get(&j, 0, "source"), e->source, sizeof e->source);
	json_free(&j);
	free(buf);
}

static int by_use(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	return x->used < y->used ? 1 : x->used > y->used ? -1 : strcmp(x->key, y->key);
}

/* Every published key, with its info, most recently used first. */
static int list(struct cache *c, struct ent **out, size_t *n, struct qerr *err)
{
	int fd = openat(c->dfd, CACHE_IMAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	*out = NULL;
	*n = 0;
	if (!d) {
		io_close(&fd);
		return qerr_sys(err, errno, "cache %s/images", pq(c->dir));
	}
	while ((de = readdir(d))) {
		if (!is_hex64(de->d_name))
			continue;
		if (vec_grow(out, *n, sizeof **out)) {
			closedir(d);
			return qerr_set(err, ENOMEM, "out of memory");
		}
		struct ent *e = *out + (*n)++;
		memcpy(e->key, de->d_name, HEX64);
		ent_info(c, e);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, by_use);
	return 0;
}

static bool in_use(struct cache *c, const char *key)
{
	char name[100];
	snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_USE, key);
	int fd = lock_take(c->dfd, name, LOCK_EX | LOCK_NB, NULL);
	if (fd < 0)
		return fd == -EWOULDBLOCK;
	close(fd);
	return false;
}

/* Open the cache and read its entries; on failure nothing stays open. */
static int open_list(struct cache *c, const struct pack_opts *opts, struct ent **e, size_t *n, struct qerr *err)
{
	int r = cache_open(c, opts, err);
	if (r == 0)
		r = list(c, e, n, err);
	if (r < 0)
		cache_close(c);
	return r;
}

/* The pulled references (refs/ files with a note) that point to key. */
static void print_refs(struct cache *c, const char *key, FILE *out)
{
	int fd = openat(c->dfd, CACHE_REFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	if (!d) {
		io_close(&fd);
		return;
	}
	while ((de = readdir(d))) {
		char buf[4096];
		if (!is_hex64(de->d_name))
			continue;
		int f = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t n = f < 0 ? -1 : io_read_full(f, buf, sizeof buf - 1);
		io_close(&f);
		if (n <= 65 || memcmp(buf, key, 64) || buf[64] != '\n')
			continue;
		buf[n] = '\0';
		char *name = buf + 65, *digest = strchr(name, '\n');
		if (!digest)
			continue;
		*digest++ = '\0';
		digest[strcspn(digest, "\n")] = '\0';
		fprintf(out, "%-14s%s  %s\n", "", pq(name), pq(digest));
	}
	closedir(d);
}

int cache_list(const struct pack_opts *opts, FILE *out, struct qerr *err)
{
	struct cache c;
	struct ent *e;
	size_t n;
	int r = open_list(&c, opts, &e, &n, err);
	if (r < 0)
		return r;
	fprintf(out, "%-12s  %-8s  %-16s  %-3s  %s\n", "IMAGE", "SIZE", "LAST USED", "USE", "NAME (SOURCE)");
	for (size_t i = 0; i < n; i++) {
		char size[32], when[32];
		struct tm tm;
		human(e[i].size, size, sizeof size);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&e[i].used, &tm));
		fprintf(out, "%.12s  %-8s  %-16s  %-3s  %s (%s)\n", e[i].key, size, when,
			in_use(&c, e[i].key) ? "yes" : "-", pq(e[i].name), pq(e[i].source));
		print_refs(&c, e[i].key, out);
	}
	free(e);
	cache_close(&c);
	return 0;
}

/* Remove one entry we hold the .use lock of. */
static int remove_entry(struct cache *c, const char *key)
{
	char from[100], to[100], lock[100];
	static unsigned seq;
	snprintf(from, sizeof from, CACHE_IMAGES "/%s", key);
	snprintf(to, sizeof to, CACHE_TMP "/%s.pruned-%d-%u", key, (int)getpid(), seq++);
	if (renameat(c->dfd, from, c->dfd, to) < 0)
		return -errno;
	rmtree_at(c->dfd, to, NULL);
	snprintf(lock, sizeof lock, CACHE_LOCKS "/%s" LOCK_UNPACK, key);
	int fd = lock_take(c->dfd, lock, LOCK_EX | LOCK_NB, NULL);
	if (fd >= 0) {
		unlinkat(c->dfd, lock, 0);
		close(fd);
	}
	return 0;
}

/* refs whose entry is gone, and tmp/<key>.* nobody is unpacking into. */
static void sweep(struct cache *c)
{
	char name[PATH_MAX], key[HEX64];
	int fd = openat(c->dfd, CACHE_REFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (!is_hex64(de->d_name))
			continue;
		if (cache_ref_get(c, de->d_name, key) < 0 ||
		    (snprintf(name, sizeof name, CACHE_IMAGES "/%s", key), fstatat(c->dfd, name, &st, 0) < 0))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	fd = openat(c->dfd, CACHE_TMP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) < 65 || de->d_name[64] != '.')
			continue;
		snprintf(name, sizeof name, CACHE_LOCKS "/%.64s" LOCK_UNPACK, de->d_name);
		int l = lock_take(c->dfd, name, LOCK_EX | LOCK_NB, NULL);
		if (l < 0)
			continue;
		rmtree_at(dirfd(d), de->d_name, NULL);
		close(l);
	}
	if (d)
		closedir(d);
}

/* Remove one entry unless it is in use or was used recently. */
static bool prune_one(struct cache *c, const struct ent *e, uint64_t older_than, FILE *out)
{
	char lock[100], size[32];
	if (older_than && (uint64_t)(time(NULL) - e->used) < older_than)
		return false;
	snprintf(lock, sizeof lock, CACHE_LOCKS "/%s" LOCK_USE, e->key);
	int fd = lock_take(c->dfd, lock, LOCK_EX | LOCK_NB, NULL);
	if (fd < 0) {
		fprintf(out, "kept %.12s %s: in use\n", e->key, pq(e->name));
		return false;
	}
	bool done = remove_entry(c, e->key) == 0;
	if (done) {
		human(e->size, size, sizeof size);
		fprintf(out, "removed %.12s %s (%s)\n", e->key, pq(e->name), size);
		unlinkat(c->dfd, lock, 0);
	}
	close(fd);
	return done;
}

int cache_prune(const struct pack_opts *opts, uint64_t older_than, FILE *out, struct qerr *err)
{
	struct cache c;
	struct ent *e;
	size_t n, removed = 0;
	int64_t freed = 0;
	char size[32];
	int r = open_list(&c, opts, &e, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (prune_one(&c, &e[i], older_than, out)) {
			removed++;
			freed += e[i].size;
		}
	sweep(&c);
	human(freed, size, sizeof size);
	fprintf(out, "%zu removed, %s freed\n", removed, size);
	free(e);
	cache_close(&c);
	return 0;
}
