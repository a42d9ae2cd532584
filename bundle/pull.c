/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pull.c: `qpod pull REF` and `qpod run REF` of a bundle (registry.h has
 * the protocol and the cache's files). Every byte it gets is checked
 * against the digest that names it; the bundle is written from them with
 * bd_tar_put() (the writer build.c uses) and bundle_verify() reads the
 * result before it is published by rename: a half-written or unchecked
 * bundle is never in the cache's pulled/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cache/layout.h"
#include "common/common.h"
#include "io.h"
#include "json.h"
#include "packer.h"
#include "registry.h"
#include "trust.h"

#define ACCEPT BD_MT_INDEX ", " BD_MT_MANIFEST

/* $QPOD_CACHE/SUB, trusted (made 0700 if missing). */
static int cache_sub(const char *sub, char *out, size_t cap, struct qerr *err)
{
	char *cache = NULL;
	int e = pack_cache_dir(&cache, err);
	if (e)
		return e;
	snprintf(out, cap, "%s/%s", cache, sub);
	free(cache);
	if ((e = trust_dir(out, TRUST_CREATE, err)) < 0)
		return qerr_wrap(err, "cache");
	close(e);
	return 0;
}

/* A manifest by tag or digest (want: its hex, or "" for a tag), its bytes
 * checked against want; *hex is theirs. */
static int get_manifest(struct reg *r, const char *name, const char *want, struct reg_resp *m, char hex[HEX64],
			struct qerr *err)
{
	char path[300];
	snprintf(path, sizeof path, "manifests/%s", name);
	*m = (struct reg_resp){ .fd = -1, .max = BD_JSON_MAX };
	int e = reg_do(r, "GET", path, NULL, ACCEPT, NULL, -1, 0, 0, m, err);
	if (e)
		return e;
	if (m->code != 200)
		return http_fail(r, path, m, err);
	sha256_hex(m->body ? m->body : "", m->len, hex);
	if (*want && strcmp(hex, want))
		return qerr_set(err, EINVAL, "%s: the manifest sha256:%.12s it served does not match its digest (got sha256:%.12s)",
				reg_name(r), want, hex);
	return 0;
}

/* The blob hex of size bytes into the store (dir), once: fetched, checked, renamed. */
static int get_blob(struct reg *r, const char *dir, const char *hex, uint64_t size, const char *mem,
		    struct qerr *err)
{
	char p[4200], tmp[4300], got[HEX64], path[200];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, hex);
	if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size)
		return 0; /* the cache has it (its bytes were checked when it came) */
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, hex);
	int fd = mkostemp(tmp, O_CLOEXEC), e = 0;
	if (fd < 0)
		return qerr_sys(err, errno, "create %s", tmp);
	struct reg_resp resp = { .fd = fd, .sha = sha_new() };
	if (mem) {
		if ((e = io_write_all(fd, mem, size)) < 0)
			e = qerr_sys(err, -e, "write %s", tmp);
		sha256_hex(mem, size, got);
	} else {
		snprintf(path, sizeof path, "blobs/sha256:%s", hex);
		if (!resp.sha)
			e = qerr_set(err, ENOMEM, "out of memory");
		else if (!(e = reg_do(r, "GET", path, NULL, NULL, NULL, -1, 0, 0, &resp, err)) && resp.code != 200)
			e = http_fail(r, path, &resp, err);
		if (!e)
			sha_hex(resp.sha, got);
		if (!e && resp.got != size)
			e = qerr_set(err, EINVAL, "%s: the blob sha256:%.12s is %ju bytes, not %ju", reg_name(r), hex,
				     (uintmax_t)resp.got, (uintmax_t)size);
	}
	if (!e && strcmp(got, hex))
		e = qerr_set(err, EINVAL, "%s: the blob sha256:%.12s it served does not match its digest", reg_name(r), hex);
	if (!e && (fsync(fd) < 0 || rename(tmp, p) < 0))
		e = qerr_sys(err, errno, "publish %s", p);
	close(fd);
	if (e)
		unlink(tmp);
	if (resp.sha)
		sha_free(resp.sha);
	return e;
}

struct member {
	char hex[HEX64];
	uint64_t size;
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->hex, ((const struct member *)b)->hex);
}

static int64_t created(const char *json, size_t n)
{
	struct json j;
	char t[40];
	struct tm tm = { 0 };
	int64_t v = -1;
	if (json_parse_alloc(&j, json, n) < 0)
		return -1;
	int a = json_get(&j, 0, "annotations");
	const char *end = json_str(&j, json_get(&j, a, "org.opencontainers.image.created"), t, sizeof t) < 0 ? NULL :
			  strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && !*end)
		v = (int64_t)timegm(&tm);
	json_free(&j);
	return v;
}

/* The bundle from the store: the members in bundle order, then verified. */
static int assemble(const char *store, const char *dir, const struct bd_desc *nested, struct member *m, size_t n,
		    int64_t mtime, char *out, size_t cap, struct qerr *err)
{
	char *index = NULL, tmp[4300], hex[HEX64], p[4300];
	size_t ilen = 0;
	int e = bd_write_index(nested, &index, &ilen), fd = -1;
	if (e < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	sha256_hex(index, ilen, hex);
	snprintf(out, cap, "%s/%s.qpod", dir, hex);
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, hex);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		e = qerr_sys(err, errno, "create %s", tmp);
		goto out;
	}
	qsort(m, n, sizeof *m, cmp_member);
	e = bd_tar_put(fd, "oci-layout", BD_OCI_LAYOUT, NULL, sizeof BD_OCI_LAYOUT - 1, mtime, err);
	if (!e)
		e = bd_tar_put(fd, "index.json", index, NULL, ilen, mtime, err);
	for (size_t i = 0; !e && i < n; i++) {
		char name[100];
		if (i && !strcmp(m[i].hex, m[i - 1].hex))
			continue;
		snprintf(name, sizeof name, "blobs/sha256/%s", m[i].hex);
		snprintf(p, sizeof p, "%s/%s", store, m[i].hex);
		e = bd_tar_put(fd, name, NULL, p, m[i].size, mtime, err);
	}
	static const char end[1024];
	if (!e && (e = io_write_all(fd, end, sizeof end)) < 0)
		e = qerr_sys(err, -e, "write %s", tmp);
	if (!e && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		e = qerr_sys(err, errno, "write %s", tmp);
	/* Every byte read back as any bundle is, before it is published. */
	struct bundle b = { .fd = -1 };
	if (!e && (e = bundle_open(tmp, &b, err)) == 1)
		e = qerr_set(err, EINVAL, "the pulled files make no bundle");
	if (!e && strcmp(b.digest, hex))
		e = qerr_set(err, EINVAL, "the pulled bundle is sha256:%.12s, not sha256:%.12s", b.digest, hex);
	if (!e)
		e = bundle_verify(&b, false, err);
	bundle_close(&b);
	if (!e && rename(tmp, out) < 0)
		e = qerr_sys(err, errno, "publish %s", out);
out:
	if (fd >= 0)
		close(fd);
	if (e && fd >= 0)
		unlink(tmp);
	free(index);
	return e;
}

/* The signature tagged sha256-<nested hex>.sig, if the registry has one,
 * as path.sig (a stale one removed if not). */
static int get_sig(struct reg *r, const char *store, const char *nested_hex, const char *path, struct qerr *err)
{
	char tag[100], sig[4300], mhex[HEX64], lhex[HEX64], src[4300];
	struct reg_resp m;
	snprintf(tag, sizeof tag, "sha256-%s.sig", nested_hex);
	snprintf(sig, sizeof sig, "%s.sig", path);
	int e = get_manifest(r, tag, "", &m, mhex, err);
	if (e == -ENOENT) {
		free(m.body);
		unlink(sig);
		return 0;
	}
	struct json j;
	int64_t size = 0;
	int l = -1;
	if (!e && json_parse_alloc(&j, m.body, m.len) >= 0) {
		l = json_at(&j, json_get(&j, 0, "layers"), 0);
		char d[80] = "";
		if (json_str(&j, json_get(&j, l, "digest"), d, sizeof d) < 0 || digest_parse(d, lhex) < 0 ||
		    json_int(&j, json_get(&j, l, "size"), &size) < 0 || size <= 0 || size > 65536 ||
		    !json_eq(&j, json_get(&j, l, "mediaType"), BD_SIG_MEDIA))
			l = -1;
		json_free(&j);
	}
	free(m.body);
	if (!e && l < 0)
		e = qerr_set(err, EINVAL, "%s: %s is not a qpod signature", reg_name(r), tag);
	if (!e)
		e = get_blob(r, store, lhex, (uint64_t)size, NULL, err);
	snprintf(src, sizeof src, "%s/%s", store, lhex);
	char tmp[4400];
	snprintf(tmp, sizeof tmp, "%s.tmp", sig);
	unlink(tmp);
	if (!e && (link(src, tmp) < 0 || rename(tmp, sig) < 0))
		e = qerr_sys(err, errno, "publish %s", sig);
	unlink(tmp); /* left where sig was that very file already */
	return e;
}

static void ref_file(const char *dir, const char *canon, char *out, size_t cap)
{
	char hex[HEX64];
	sha256_hex(canon, strlen(canon), hex);
	snprintf(out, cap, "%s/%s", dir, hex);
}

int registry_pull(const char *ref, const struct reg_opts *o, bool probe, char *out, size_t cap, struct qerr *err)
{
	struct where w;
	struct reg *r = NULL;
	struct reg_resp m[3] = { 0 };
	struct bd_doc d = { 0 };
	char store[4200], pulled[4200], refs[4200], hex[3][HEX64];
	struct member mem[8 + P_N];
	size_t n = 0;
	int e = where_parse(ref, &w, err);
	if (e)
		return e;
	if ((e = cache_sub(CACHE_BLOBS, store, sizeof store, err)) ||
	    (e = cache_sub(CACHE_BLOBS "/sha256", store, sizeof store, err)) ||
	    (e = cache_sub(CACHE_BUNDLES, pulled, sizeof pulled, err)) ||
	    (e = cache_sub(CACHE_BUNDLES "/" BUNDLES_PULLED, pulled, sizeof pulled, err)) ||
	    (e = cache_sub(CACHE_BUNDLES "/" BUNDLES_REFS, refs, sizeof refs, err)) ||
	    (e = reg_open(&r, w.host, w.repo, false, o, err)))
		goto out;
	char name[100];
	snprintf(name, sizeof name, "%s%s", w.s.digest[0] ? "sha256:" : "", w.s.digest[0] ? w.s.digest : w.tag);
	if ((e = get_manifest(r, name, w.s.digest, &m[0], hex[0], err))) {
		/* Cannot tell: the packer asks, and says why; but refused
		 * credentials or an untrusted certificate would refuse it too,
		 * and are said here, as they are. */
		if (probe && e != -EACCES && e != -EPERM)
			e = 1;
		goto out;
	}
	if (strncmp(m[0].type, BD_MT_INDEX, strlen(BD_MT_INDEX)) || !m[0].body || !strstr(m[0].body, BD_ARTIFACT) ||
	    (e = bd_read_nested(m[0].body, m[0].len, &d, err)) == 1) {
		e = 1; /* no bundle: an image */
		goto out;
	}
	if (e)
		goto wrap;
	snprintf(d.nested.media, sizeof d.nested.media, "%s", BD_MT_INDEX);
	snprintf(d.nested.hex, sizeof d.nested.hex, "%s", hex[0]);
	d.nested.size = m[0].len;
	snprintf(name, sizeof name, "sha256:%s", d.image.hex);
	if ((e = get_manifest(r, name, d.image.hex, &m[1], hex[1], err)))
		goto out;
	snprintf(name, sizeof name, "sha256:%s", d.qpod.hex);
	if ((e = get_manifest(r, name, d.qpod.hex, &m[2], hex[2], err)))
		goto out;
	if ((e = bd_read_image_manifest(m[1].body, m[1].len, &d, err)) ||
	    (e = bd_read_qpod_manifest(m[2].body, m[2].len, &d, err)))
		goto wrap;
	int64_t mtime = created(m[2].body, m[2].len);
	if (mtime < 0) {
		e = qerr_set(err, EINVAL, "the qpod manifest has no \"created\" time");
		goto wrap;
	}
	for (int i = 0; i < 3 && !e; i++) {
		snprintf(mem[n].hex, sizeof mem[n].hex, "%s", hex[i]);
		mem[n++].size = m[i].len;
		e = get_blob(r, store, hex[i], m[i].len, m[i].body, err);
	}
	const struct bd_desc *blobs[] = { &d.config, &d.layer, &d.empty };
	for (size_t i = 0; i < 3 + P_N && !e; i++) {
		const struct bd_desc *bd = i < 3 ? blobs[i] : &d.part[i - 3];
		snprintf(mem[n].hex, sizeof mem[n].hex, "%s", bd->hex);
		mem[n++].size = bd->size;
		e = get_blob(r, store, bd->hex, bd->size, NULL, err);
	}
	if (e || (e = assemble(store, pulled, &d.nested, mem, n, mtime, out, cap, err)) ||
	    (e = get_sig(r, store, hex[0], out, err)))
		goto out;
	/* The reference now names this bundle (qpod run REF). */
	char rf[4300], tmp[4400], text[80];
	ref_file(refs, w.s.canon, rf, sizeof rf);
	snprintf(tmp, sizeof tmp, "%s.%d", rf, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int tl = snprintf(text, sizeof text, "%s", strrchr(out, '/') + 1);
	if (fd < 0 || io_write_all(fd, text, (size_t)tl) < 0 || close(fd) < 0 || rename(tmp, rf) < 0)
		e = qerr_sys(err, errno, "record %s", rf);
	if (e)
		unlink(tmp);
	goto out;
wrap:
	qerr_wrap(err, "%s/%s", w.host, w.repo);
out:
	for (int i = 0; i < 3; i++)
		free(m[i].body);
	reg_close(r);
	source_free(&w.s);
	return e;
}

int registry_cached(const char *ref, char *out, size_t cap, struct qerr *err)
{
	struct where w;
	char refs[4200], rf[4300], name[100];
	if (where_parse(ref, &w, err))
		return 1;
	char pulled[4200];
	int e = cache_sub(CACHE_BUNDLES "/" BUNDLES_REFS, refs, sizeof refs, err);
	if (!e)
		e = cache_sub(CACHE_BUNDLES "/" BUNDLES_PULLED, pulled, sizeof pulled, err);
	if (!e) {
		ref_file(refs, w.s.canon, rf, sizeof rf);
		int fd = trust_file(rf, 0, err);
		ssize_t n = fd < 0 ? -1 : io_read_full(fd, name, sizeof name - 1);
		if (fd >= 0)
			close(fd);
		if (fd == -ENOENT || n <= 0)
			e = fd < 0 && fd != -ENOENT ? fd : 1;
		else {
			name[n] = '\0';
			snprintf(out, cap, "%s/%s", pulled, name);
			e = strlen(name) == 69 && !strcmp(name + 64, ".qpod") && access(out, R_OK) == 0 ? 0 : 1;
		}
	}
	source_free(&w.s);
	return e;
}
