/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pull.c: images that skopeo fetches (registries, containers-storage, dir:),
 * with podman's pull policy, into the cache:
 *
 *   missing (default)  refs/<ident> -> a published entry: use it; no skopeo,
 *                      no network. Else pull.
 *   always             ask the source what the reference is now (inspect);
 *                      pull unless that digest is cached already
 *   never              the cache or 125
 *
 *   ident  = sha256("qpod-pull-1", skopeo's name, platform): the reference
 *   dident = sha256("qpod-digest-1", "sha256:<hex>", platform): what a
 *            reference resolved to, so NAME@sha256:<hex> after NAME:TAG (or
 *            another tag of the same image) needs no pull
 *   refs/<ident>, refs/<dident> = "<key>\n<reference>\nsha256:<hex>\n" (the
 *            first 64 bytes are what cache_ref_get reads; ls shows the rest)
 *
 * A pull, with locks/<ident>.unpack held exclusively (so concurrent pulls of
 * one reference fetch once: the others find the ref when they get the lock):
 *   1. tmp/<ident>.pull.XXXXXX/ (stale ones of dead pulls removed first);
 *      --creds become a 0600 authfile in it, never an argument others can read
 *   2. skopeo inspect --raw: the manifest or index bytes (<= 16 MiB); their
 *      sha256 is the reference's digest and must equal an @sha256: asked
 *      for. An index: the platform's manifest is picked by the archive
 *      stage's own rules (oci_pick_manifest: arm64-only says so)
 *   3. skopeo copy --preserve-digests of exactly that manifest (by digest for
 *      a registry) into layout/ as an OCI layout; then layout/index.json is
 *      rewritten to name only the inspected bytes (written as their blob),
 *      so the archive stage verifies the whole chain: index or manifest
 *      digest, the picked manifest, config, layers, diff_ids
 *   4. pack.c unpacks layout/ like any image directory and pull_record()
 *      writes the refs; pull_end() removes the directory and the lock.
 * Anything that fails leaves no ref and no entry; the tmp directory goes at
 * pull_end, or at the next pull or prune after a kill -9.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/base64.h>

#include "archive/archive.h"
#include "cache/layout.h"
#include "io.h"
#include "json.h"
#include "source/source.h"

#define INSPECT_TIMEOUT 60        /* seconds, at most: a manifest is small */
#define COPY_TIMEOUT    1800      /* default for the copy (--pull-timeout) */
#define LAYOUT_REF      "qpod-pull"

static void ident_of(const char *kind, const char *what, const char *platform, char out[HEX64])
{
	char buf[8192];
	int n = snprintf(buf, sizeof buf, "%s\n%s\n%s\n", kind, what, platform);
	sha256_hex(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1, out);
}

static void dident_of(const char *hex, const char *platform, char out[HEX64])
{
	char d[80];
	snprintf(d, sizeof d, "sha256:%s", hex);
	ident_of("qpod-digest-1", d, platform, out);
}

int pull_start(struct pull *p, const struct source *src, const struct pack_opts *opts,
	       const char *platform, struct cache *c, struct qerr *err)
{
	*p = (struct pull){ .src = src, .opts = opts, .cache = c, .lock = -1 };
	snprintf(p->platform, sizeof p->platform, "%s", platform);
	ident_of("qpod-pull-1", src->name, platform, p->ident);
	enum pack_pull pol = opts ? opts->pull : PULL_MISSING;
	if (pol == PULL_ALWAYS)
		return 0;
	if (cache_ref_get(c, p->ident, p->key) == 0 && cache_has(c, p->key))
		return 1;
	if (src->digest[0]) {
		char di[HEX64];
		dident_of(src->digest, platform, di);
		if (cache_ref_get(c, di, p->key) == 0 && cache_has(c, p->key))
			return 1;
	}
	if (pol == PULL_NEVER)
		return qerr_set(err, ENOENT, "%s: not in the cache, and --pull never", pq(src->shown));
	return 0;
}

/* The reference's lock and a fresh tmp directory (with the authfile). */
static int prepare(struct pull *p, struct qerr *err)
{
	char name[PATH_MAX];
	if (p->lock < 0) {
		snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_UNPACK, p->ident);
		p->lock = lock_take(p->cache->dfd, name, LOCK_EX, err);
		if (p->lock < 0)
			return p->lock;
	}
	if (p->dir)
		return 0;
	cache_clean_stale(p->cache, p->ident);
	if (snprintf(name, sizeof name, "%s/tmp/%s.pull.XXXXXX", p->cache->dir, p->ident) >= (int)sizeof name)
		return qerr_set(err, ENAMETOOLONG, "cache path too long");
	if (!mkdtemp(name))
		return qerr_sys(err, errno, "cache: mkdtemp %s", pq(name));
	if (!(p->dir = strdup(name)))
		return qerr_set(err, ENOMEM, "out of memory");
	const char *creds = p->opts ? p->opts->creds : NULL;
	if (!creds)
		return 0;
	if (p->src->kind != SOURCE_REGISTRY)
		return qerr_set(err, EINVAL, "%s: --creds is for registries (docker://)", pq(p->src->shown));
	if (!strchr(creds, ':') || strlen(creds) > 4096)
		return qerr_set(err, EINVAL, "--creds: want USER:PASSWORD");
	size_t n = strlen(creds);
	char *b64 = malloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	struct jw w;
	const char *json;
	size_t len;
	if (!b64)
		return qerr_set(err, ENOMEM, "out of memory");
	base64_encode_raw(b64, n, (const uint8_t *)creds);
	b64[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "auths");
	jw_obj(&w);
	jw_key(&w, p->src->host);
	jw_obj(&w);
	jw_kv_str(&w, "auth", b64);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	free(b64);
	int r = jw_done(&w, &json, &len);
	if (r == 0 && asprintf(&p->auth, "%s/auth.json", p->dir) < 0)
		p->auth = NULL, r = -ENOMEM;
	int fd = r == 0 ? open(p->auth, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	if (r == 0 && (fd < 0 || io_write_all(fd, json, len) < 0))
		r = -errno;
	io_close(&fd);
	jw_free(&w);
	return r < 0 ? qerr_sys(err, -r, "cache: the authfile for --creds") : 0;
}

/* skopeo's common arguments, then the command's own; argv is NULL-terminated. */
struct args {
	char *v[40];
	int n;
	char timeout[32], os[48], arch[48], variant[48];
};

static void arg(struct args *a, const char *s)
{
	if (a->n < 39)
		a->v[a->n++] = (char *)s, a->v[a->n] = NULL;
}

static void args_base(struct args *a, unsigned seconds)
{
	a->n = 0;
	arg(a, "skopeo");
	snprintf(a->timeout, sizeof a->timeout, "--command-timeout=%us", seconds);
	arg(a, a->timeout);
}

static void args_registry(struct pull *p, struct args *a, bool copy)
{
	const struct pack_opts *o = p->opts;
	if (p->src->kind != SOURCE_REGISTRY)
		return;
	if (o && o->no_tls_verify)
		arg(a, copy ? "--src-tls-verify=false" : "--tls-verify=false");
	const char *auth = p->auth ? p->auth : o ? o->authfile : NULL;
	if (auth) {
		arg(a, copy ? "--src-authfile" : "--authfile");
		arg(a, auth);
	}
}

static unsigned copy_timeout(const struct pull *p)
{
	return p->opts && p->opts->pull_timeout ? p->opts->pull_timeout : COPY_TIMEOUT;
}

/* What the source says the reference is now: bytes, digest, and the
 * manifest to copy (the platform's, when the bytes are an index). */
struct resolved {
	char *raw;
	size_t len;
	char media[128];
	char pick[HEX64];
	char plat[100];    /* the platform of pick (an index's entry) */
	bool index;
};

static int inspect(struct pull *p, struct resolved *rs, struct qerr *err)
{
	struct args a;
	unsigned t = copy_timeout(p) < INSPECT_TIMEOUT ? copy_timeout(p) : INSPECT_TIMEOUT;
	args_base(&a, t);
	arg(&a, "inspect");
	arg(&a, "--raw");
	args_registry(p, &a, false);
	arg(&a, p->src->name);
	int r = skopeo_run(p->src->shown, a.v, &rs->raw, &rs->len, PK_JSON_MAX, err);
	if (r < 0)
		return r;
	sha256_hex(rs->raw, rs->len, p->digest);
	if (p->src->digest[0] && strcmp(p->src->digest, p->digest))
		return qerr_set(err, EBADMSG, "%s: digest mismatch: the registry sent sha256:%.12s...", pq(p->src->shown), p->digest);
	struct json j = { 0 };
	if (json_parse_alloc(&j, rs->raw, rs->len) < 0 || json_type(&j, 0) != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		return qerr_set(err, EINVAL, "%s: the manifest is not a JSON object", pq(p->src->shown));
	}
	if (json_str(&j, json_get(&j, 0, "mediaType"), rs->media, sizeof rs->media) <= 0)
		rs->media[0] = '\0';
	rs->index = strstr(rs->media, "index") || strstr(rs->media, "manifest.list") ||
		    (!rs->media[0] && json_get(&j, 0, "manifests") >= 0);
	json_free(&j);
	if (!rs->media[0])
		snprintf(rs->media, sizeof rs->media, "%s", rs->index ? "application/vnd.oci.image.index.v1+json"
									: "application/vnd.oci.image.manifest.v1+json");
	if (!rs->index) {
		memcpy(rs->pick, p->digest, HEX64);
		return 0;
	}
	return oci_pick_manifest(p->src->shown, rs->raw, rs->len, p->opts ? p->opts->platform : NULL, rs->pick, rs->plat,
				 sizeof rs->plat, err);
}

/* layout/index.json naming exactly the inspected bytes (written as their blob). */
static int rewrite_index(struct pull *p, const struct resolved *rs, struct qerr *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], digest[80];
	struct jw w;
	const char *json;
	size_t len;
	snprintf(path, sizeof path, "%s/layout/blobs/sha256/%s", p->dir, p->digest);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EEXIST)
		return qerr_sys(err, errno, "cache: %s", pq(path));
	int r = fd >= 0 ? io_write_all(fd, rs->raw, rs->len) : 0;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return qerr_sys(err, -r, "cache: %s", pq(path));
	snprintf(digest, sizeof digest, "sha256:%s", p->digest);
	jw_init(&w);
	jw_obj(&w);
	jw_kv_int(&w, "schemaVersion", 2);
	jw_key(&w, "manifests");
	jw_arr(&w);
	jw_obj(&w);
	jw_kv_str(&w, "mediaType", rs->media);
	jw_kv_str(&w, "digest", digest);
	jw_kv_int(&w, "size", (int64_t)rs->len);
	jw_key(&w, "annotations");
	jw_obj(&w);
	jw_kv_str(&w, "org.opencontainers.image.ref.name", pull_layout_ref(p));
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	r = jw_done(&w, &json, &len);
	snprintf(path, sizeof path, "%s/layout/index.json", p->dir);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	fd = r < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (r == 0 && (fd < 0 || io_write_all(fd, json, len) < 0 || rename(tmp, path) < 0))
		r = -errno;
	io_close(&fd);
	jw_free(&w);
	return r < 0 ? qerr_sys(err, -r, "cache: %s", pq(path)) : 0;
}

static int copy(struct pull *p, const struct resolved *rs, struct qerr *err)
{
	struct args a;
	char *from = NULL, *to = NULL, *tmpdir = NULL;
	char os[32] = "", arch[32] = "", variant[32] = "";
	int r;
	args_base(&a, copy_timeout(p));
	if (p->src->kind == SOURCE_REGISTRY)
		r = asprintf(&from, "docker://%s@sha256:%s", p->src->repo, rs->pick);
	else
		r = asprintf(&from, "%s", p->src->name);
	if (r < 0 || asprintf(&to, "oci:%s/layout:%s", p->dir, LAYOUT_REF) < 0 || asprintf(&tmpdir, "%s/tmp", p->dir) < 0 ||
	    mkdir(tmpdir, 0700) < 0) {
		r = qerr_sys(err, errno ? errno : ENOMEM, "cache: %s", pq(p->dir));
		goto out;
	}
	arg(&a, "--tmpdir");
	arg(&a, tmpdir);
	if (rs->index && p->src->kind != SOURCE_REGISTRY) {
		/* not copied by digest: let skopeo pick what we picked (checked after) */
		char plat[100];
		snprintf(plat, sizeof plat, "%s", rs->plat);
		sscanf(plat, "%31[^/]/%31[^/]/%31s", os, arch, variant);
		snprintf(a.os, sizeof a.os, "--override-os=%s", os);
		snprintf(a.arch, sizeof a.arch, "--override-arch=%s", arch);
		snprintf(a.variant, sizeof a.variant, "--override-variant=%s", variant);
		arg(&a, a.os);
		arg(&a, a.arch);
		if (variant[0])
			arg(&a, a.variant);
	}
	arg(&a, "copy");
	arg(&a, "-q");
	arg(&a, "--preserve-digests");
	args_registry(p, &a, true);
	arg(&a, from);
	arg(&a, to);
	r = skopeo_run(p->src->shown, a.v, NULL, NULL, 0, err);
	if (r == 0)
		r = rewrite_index(p, rs, err);
out:
	free(from);
	free(to);
	free(tmpdir);
	return r;
}

int pull_fetch(struct pull *p, struct qerr *err)
{
	struct resolved rs = { 0 };
	int r = prepare(p, err);
	if (r == 0 && (!p->opts || p->opts->pull != PULL_ALWAYS) && cache_ref_get(p->cache, p->ident, p->key) == 0 &&
	    cache_has(p->cache, p->key))
		r = 1;   /* pulled by someone else while we waited for the lock */
	if (r == 0 && (r = inspect(p, &rs, err)) == 0) {
		char di[HEX64];
		dident_of(p->digest, p->platform, di);
		if (cache_ref_get(p->cache, di, p->key) == 0 && cache_has(p->cache, p->key))
			r = 1;
		else
			r = copy(p, &rs, err);
	}
	free(rs.raw);
	return r;
}

const char *pull_layout_ref(const struct pull *p)
{
	return p->src->canon;
}

static void put(struct pull *p, const char *ident, const char *what, const char *key)
{
	char note[8400];
	snprintf(note, sizeof note, "%s\n%s%s\n", what, p->digest[0] ? "sha256:" : "-", p->digest);
	cache_ref_put(p->cache, ident, key, note);
}

void pull_record(struct pull *p, const char *key)
{
	char di[HEX64], by[600];
	put(p, p->ident, p->src->name, key);
	if (!p->digest[0])
		return;
	dident_of(p->digest, p->platform, di);
	if (p->src->kind == SOURCE_REGISTRY)
		snprintf(by, sizeof by, "docker://%s@sha256:%s", p->src->repo, p->digest);
	else
		snprintf(by, sizeof by, "%s", p->src->name);
	put(p, di, by, key);
}

void pull_end(struct pull *p)
{
	if (p->dir && p->cache->dfd >= 0) {
		const char *rel = p->dir + strlen(p->cache->dir) + 1;
		rmtree_at(p->cache->dfd, rel, NULL);
	}
	free(p->dir);
	free(p->auth);
	p->dir = p->auth = NULL;
	if (p->lock >= 0) {
		char name[100];
		snprintf(name, sizeof name, CACHE_LOCKS "/%s" LOCK_UNPACK, p->ident);
		unlinkat(p->cache->dfd, name, 0);
		io_close(&p->lock);
	}
}

int pack_creds(const char *user, int fd, char *pair, size_t cap, struct qerr *err)
{
	char pass[4096];
	size_t n = 0;
	if (!*user || strchr(user, ':') || strlen(user) > 256)
		return qerr_set(err, EINVAL, "--creds: expected a user name (never its password: every local user "
				"reads a command line in /proc)");
	while (n < sizeof pass - 1 && io_read(fd, pass + n, 1) == 1 && pass[n] != '\n')
		n++;
	pass[n] = '\0';
	if (n && pass[n - 1] == '\r')
		pass[--n] = '\0';
	int r = n ? snprintf(pair, cap, "%s:%s", user, pass) : 0;
	explicit_bzero(pass, sizeof pass);
	if (!n)
		return qerr_set(err, EINVAL, "--password-stdin: no password on stdin's first line");
	return r > 0 && (size_t)r < cap ? 0 : qerr_set(err, E2BIG, "--password-stdin: the password is too long");
}
