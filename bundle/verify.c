/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c: the bytes read.c leaves: every big blob (kernels, initrd,
 * firmware, image layer, rootfs) hashed against its digest, and the boot
 * parts extracted into the cache while they are hashed.
 *
 *   $QPOD_CACHE/bundles/<digest>/       vmlinux vmlinux-up initrd.img qboot.rom
 *                                       cmdline vm.conf (what conf.c reads;
 *                                       an arm64 guest's: Image initrd.img
 *                                       cmdline vm.conf)
 *   $QPOD_CACHE/bundles/verified/<id>   "sha256:<digest>": the file with
 *                                       identity id had every byte checked
 *   $QPOD_CACHE/bundles/tmp.XXXXXX/     an extraction in progress
 *
 * id = sha256 of the file's device, inode, size, mtime and ctime (ns) and
 * the digest: any write to the file changes mtime and ctime, any
 * replacement the inode, so an unchanged file is not hashed again. A
 * directory <digest>/ is published by rename once complete, and its files
 * were written from bytes that matched their digests, so any bundle with
 * that index.json may use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "cache/layout.h"
#include "common/common.h"
#include "io.h"
#include "trust.h"

int bundle_cache_dir(char **out, struct qerr *err)
{
	char *c;
	int e = pack_cache_trust(err) ? -EPERM : pack_cache_dir(&c, err);
	if (e)
		return e;
	int n = asprintf(out, "%s/" CACHE_BUNDLES, c);
	free(c);
	if (n < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	if ((e = trust_dir(*out, TRUST_CREATE, err)) < 0) {
		qerr_wrap(err, "cache");
		free(*out);
		*out = NULL;
		return e;
	}
	close(e);
	return 0;
}

static void identity(const struct bundle *b, char out[HEX64])
{
	char s[256];
	const struct stat *st = &b->st;
	snprintf(s, sizeof s, "%ju %ju %jd %jd.%09ld %jd.%09ld %s", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
		 (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		 (intmax_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, b->digest);
	sha256_hex(s, strlen(s), out);
}

/* 1 when the record says the file with this identity was verified; 0
 * when there is none; -errno when there is one that is not trusted. */
static int recorded(const char *dir, const char *id, const char *digest, struct qerr *err)
{
	char p[4200], want[80], have[80] = "";
	snprintf(p, sizeof p, "%s/" BUNDLES_VERIFIED "/%s", dir, id);
	snprintf(want, sizeof want, "sha256:%s", digest);
	int fd = trust_file(p, 0, err);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return qerr_wrap(err, "cache");
	ssize_t n = io_read_full(fd, have, sizeof have - 1);
	io_close(&fd);
	return n == (ssize_t)strlen(want) && !memcmp(have, want, (size_t)n);
}

static void record(const char *dir, const char *id, const char *digest)
{
	char p[4200], tmp[4300], text[80];
	snprintf(p, sizeof p, "%s/" BUNDLES_VERIFIED, dir);
	mkdir(p, 0700);
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", p, id);
	snprintf(p + strlen(p), sizeof p - strlen(p), "/%s", id);
	int n = snprintf(text, sizeof text, "sha256:%s", digest);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return; /* only a cost: the next run hashes again */
	if (io_write_all(fd, text, (size_t)n) < 0 || rename(tmp, p) < 0)
		unlink(tmp);
	close(fd);
}

/* Hash a blob from the file, copying it to out (-1: nowhere). */
static int hash_blob(struct bundle *b, const struct bd_blob *bl, int out, struct qerr *err)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK), hex[HEX64];
	struct sha *s = sha_new();
	int e = 0;
	if (!buf || !s) {
		e = qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t done = 0; done < bl->size;) {
		size_t want = bl->size - done < CHUNK ? (size_t)(bl->size - done) : CHUNK;
		ssize_t n = pread(b->fd, buf, want, (off_t)(bl->off + done));
		if (n <= 0) {
			e = n < 0 ? qerr_sys(err, errno, "%s: read the %s", b->shown, bl->role)
				  : qerr_set(err, EINVAL, "%s: truncated in the %s", b->shown, bl->role);
			goto out;
		}
		sha_update(s, buf, (size_t)n);
		if (out >= 0 && (e = io_write_all(out, buf, (size_t)n)) < 0) {
			e = qerr_sys(err, -e, "write the %s into the cache", bl->role);
			goto out;
		}
		done += (uint64_t)n;
	}
	sha_hex(s, hex);
	if (strcmp(hex, bl->hex))
		e = qerr_set(err, EINVAL, "%s: the %s (sha256:%.12s) does not match its digest", b->shown, bl->role, bl->hex);
out:
	free(buf);
	if (s)
		sha_free(s);
	return e;
}

/* 1 when dir holds b's boot parts (under its arch's names), each trusted
 * (trust.h: nobody else can have put them there); 0 when there is no dir;
 * else -errno. */
static int published(const struct bundle *b, const char *dir, struct qerr *err)
{
	char p[4200];
	struct stat st;
	if (lstat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	int fd = trust_dir(dir, 0, err);
	for (int k = 0; fd >= 0 && k < P_N; k++) {
		const char *f = bd_part_file(k, b->arch);
		if (k == P_LAUNCH || k == P_ROOTFS || !f)
			continue;
		close(fd);
		snprintf(p, sizeof p, "%s/%s", dir, f);
		fd = trust_file(p, 0, err);
	}
	if (fd < 0)
		return qerr_wrap(err, "cache");
	close(fd);
	return 1;
}

/* Hash every big blob; write the boot parts into tmp when tmp is given. */
static int check_all(struct bundle *b, const char *tmp, struct qerr *err)
{
	const struct bd_blob *seen[BD_MAX_BLOBS];
	size_t nseen = 0;
	for (int k = 0; k < P_N; k++) {
		const struct bd_blob *bl = b->part[k];
		int fd = -1, e = 0;
		char p[4200];
		if (!bl) /* a part the guest's arch has not (read.c checked) */
			continue;
		if (tmp && k != P_LAUNCH && k != P_ROOTFS) {
			snprintf(p, sizeof p, "%s/%s", tmp, bd_part_file(k, b->arch));
			if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
				return qerr_sys(err, errno, "create %s", p);
		} else {
			bool again = bl->data != NULL; /* small ones were checked when read */
			for (size_t i = 0; i < nseen && !again; i++)
				again = seen[i] == bl;
			if (again)
				continue;
		}
		e = hash_blob(b, bl, fd, err);
		io_close(&fd);
		if (e)
			return e;
		seen[nseen++] = bl;
	}
	return hash_blob(b, b->layer, -1, err);
}

int bundle_verify(struct bundle *b, bool use_record, struct qerr *err)
{
	char *cache = NULL, id[HEX64], tmp[4200] = "";
	int e = bundle_cache_dir(&cache, err);
	if (e)
		return e;
	if (asprintf(&b->dir, "%s/%s", cache, b->digest) < 0) {
		b->dir = NULL;
		free(cache);
		return qerr_set(err, ENOMEM, "out of memory");
	}
	identity(b, id);
	int have = published(b, b->dir, err), rec = have > 0 ? recorded(cache, id, b->digest, err) : 0;
	if (have < 0 || rec < 0) {
		e = have < 0 ? have : rec;
		goto out;
	}
	if (use_record && rec) {
		b->verified = true;
		free(cache);
		return 0;
	}
	if (!have) {
		snprintf(tmp, sizeof tmp, "%s/" BUNDLES_TMP, cache);
		if (!mkdtemp(tmp)) {
			e = qerr_sys(err, errno, "create %s", tmp);
			goto out;
		}
	}
	if ((e = check_all(b, have ? NULL : tmp, err)))
		goto out;
	if (!have && rename(tmp, b->dir) == 0) {
		tmp[0] = '\0';
	} else if (!have) { /* another run published it first: ours goes, if theirs is trusted */
		int why = errno;
		if ((e = published(b, b->dir, err)) <= 0) {
			e = e ? e : qerr_sys(err, why, "publish %s", b->dir);
			goto out;
		}
		e = 0;
	}
	record(cache, id, b->digest);
	b->verified = true;
out:
	if (tmp[0]) {
		char *slash = strrchr(tmp, '/');
		int dfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0 && slash)
			rmtree_at(dfd, slash + 1, NULL);
		io_close(&dfd);
	}
	free(cache);
	return e;
}

bool bundle_recorded(struct bundle *b)
{
	char *cache = NULL, id[HEX64], dir[4200];
	struct qerr err;
	if (bundle_cache_dir(&cache, &err))
		return false;
	identity(b, id);
	snprintf(dir, sizeof dir, "%s/%s", cache, b->digest);
	bool r = published(b, dir, &err) > 0 && recorded(cache, id, b->digest, &err) > 0;
	free(cache);
	return r;
}
