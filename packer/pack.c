/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pack.c: pack_image(), the one entry point that turns SPEC into a cached
 * rootfs, by running the stages in order:
 *
 *   spec --source/spec.c--> archive path or image directory + optional "repo:tag",
 *        or a reference skopeo fetches (source/pull.c: pull policy, refs of
 *        references, skopeo into an OCI layout in tmp/, then on as a directory)
 *        --cache/--> refs/<identity> hit? -> done (warm path, no archive read)
 *   outer tar --archive/outer.c--> member index + small members kept in memory
 *        --archive/docker.c | oci.c | legacy.c--> struct plan (config, layers, digests)
 *        --cache/--> key = config digest; images/<key> hit? -> done
 *        --layer/blob.c--> each layer: raw bytes (hashed) -> decompress -> tar (hashed)
 *        --layer/layer.c, write.c, whiteout.c--> tmp/<key>.XXXXXX/rootfs
 *        --cache/--> rename to images/<key>, refs/<identity>
 *
 *   1. warm path: refs/<identity of the file (or directory) + name + platform> -> key ->
 *      images/<key> published: take the shared lock, read config.json. No
 *      archive byte is read; this is a handful of syscalls.
 *   2. first pass over the archive (outer.c): index, small members. As
 *      soon as manifest.json and the config are known (our own images put
 *      them first), the image key is known: if it is cached we stop reading;
 *      otherwise we lock, and layers whose turn comes stream straight in.
 *   3. after the pass: the plan from manifest.json, index.json or the
 *      legacy repositories file; remaining layers in order, by offset when
 *      the archive is a plain tar in a file, else by another pass.
 *   4. publish (rename), record the ref, take the shared lock.
 * Any failure after 2 discards the temporary directory: nothing is published.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>

#include "archive/archive.h"
#include "cache/cache.h"
#include "common/virtfs.h"
#include "io.h"
#include "layer/layer.h"
#include "source/source.h"

struct pk {
	const struct pack_opts *opts;
	struct qerr *err;
	const char *shown;       /* archive as the user named it */
	const char *source;      /* what the entry records as its source (NULL: real) */
	bool no_ident;           /* a pulled layout in tmp/: no refs/ for the directory itself */
	char *path, *real, *ref;
	char platform[100];
	struct reader rd;        /* the archive, NAME and platform asked for */
	struct plan plan;
	bool plan_ready, begun, hit;
	size_t next;             /* layers applied */
	struct cache cache;
	struct applier ap;
	struct progress prog;
	uint64_t max_bytes, max_entries;
	struct image *img;
};

static bool is_next(struct pk *pk, struct member *m)
{
	if (!pk->begun || pk->hit || pk->next >= pk->plan.n)
		return false;
	struct plan_layer *l = &pk->plan.layers[pk->next];
	return l->m == m || (!l->m && m->type == M_FILE && !strcmp(l->name, m->name));
}

/* A member just seen may be a layer the early plan could not resolve yet. */
static void note_member(struct pk *pk, struct member *m)
{
	if (!pk->plan_ready || m->type != M_FILE)
		return;
	for (size_t i = pk->next; i < pk->plan.n; i++)
		if (!pk->plan.layers[i].m && !strcmp(pk->plan.layers[i].name, m->name))
			pk->plan.layers[i].m = m;
}

static int apply_src(struct pk *pk, const struct blob_src *src)
{
	const struct plan_layer *l = &pk->plan.layers[pk->next];
	const struct blob_check want = { .name = l->name, .member = l->m->name, .raw = l->raw,
					 .diff_id = l->diff_id, .size = l->size, .limit = pk->max_bytes };
	char what[QERR_MSG_MAX];
	snprintf(what, sizeof what, "%s: layer %s", pq(pk->shown), pq(l->m ? l->m->name : l->name));
	pk->prog.total = plan_bytes(&pk->plan);
	progress_layer(&pk->prog, pk->next);
	int r = blob_apply(&pk->ap, what, src, &want, &pk->prog);
	if (r == 0)
		pk->next++;
	return r;
}

/* Apply the layers that can be applied now (kept in memory or by range). */
static int apply_ready(struct pk *pk)
{
	while (pk->begun && !pk->hit && pk->next < pk->plan.n) {
		struct member *m = pk->plan.layers[pk->next].m;
		struct blob_src src = { .fd = -1 };
		if (m && m->data)
			src = (struct blob_src){ .kind = SRC_MEM, .mem = m->data, .len = m->size, .fd = -1 };
		else if (m && outer_rangeable(&pk->rd.o, m)) {
			int fd = outer_member_open(&pk->rd.o, m, pk->err);
			if (fd < 0)
				return fd;
			src = (struct blob_src){ .kind = SRC_RANGE, .fd = fd, .off = m->off, .len = m->size };
		} else
			return 0;
		int r = apply_src(pk, &src);
		io_close(&src.fd);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The plan is ready: use the cached entry, or lock and start unpacking. */
static int start(struct pk *pk)
{
	for (int tries = 0; tries < 100; tries++) {
		int r = cache_use(&pk->cache, pk->plan.key, pk->img, pk->err);
		if (r != 0) {
			pk->hit = r > 0;
			return r;
		}
		r = cache_begin(&pk->cache, pk->plan.key, pk->err);
		if (r < 0)
			return r;
		if (r == 1)
			continue;     /* published while we waited for the lock */
		applier_init(&pk->ap, pk->cache.rootfd);
		pk->ap.max_file = pk->max_bytes;
		pk->ap.max_entries = pk->max_entries;
		pk->ap.err = pk->err;
		progress_start(&pk->prog, pk->opts && pk->opts->progress, pk->shown, plan_bytes(&pk->plan), pk->plan.n);
		pk->begun = true;
		return 0;
	}
	return qerr_set(pk->err, EAGAIN, "cache entry %s keeps disappearing (a prune loop?)", pk->plan.key);
}

static int stream_layer(struct pk *pk, struct member *m, struct archive *a)
{
	pk->plan.layers[pk->next].m = m;
	struct blob_src src = { .kind = SRC_STREAM, .outer = a, .fd = -1, .len = m->size };
	int r = apply_src(pk, &src);
	return r < 0 ? r : apply_ready(pk);
}

static int first_pass(void *ctx, struct member *m, struct archive *a)
{
	struct pk *pk = ctx;
	note_member(pk, m);
	if (is_next(pk, m))
		return stream_layer(pk, m, a);
	int r = outer_maybe_stash(&pk->rd.o, m, a, pk->err);
	if (r < 0)
		return r;
	if (!pk->plan_ready && m->data && outer_find(&pk->rd.o, "manifest.json")) {
		r = docker_plan(&pk->rd, false, &pk->plan);
		if (r < 0)
			return r;
		pk->plan_ready = r == 1;
	}
	if (pk->plan_ready && !pk->begun && (r = start(pk)) != 0)
		return r;
	return apply_ready(pk);
}

static int later_pass(void *ctx, struct member *m, struct archive *a)
{
	struct pk *pk = ctx;
	if (!is_next(pk, m))
		return 0;
	int r = stream_layer(pk, m, a);
	return r < 0 ? r : pk->next == pk->plan.n ? 1 : 0;
}

static int make_plan(struct pk *pk)
{
	int r;
	if (pk->plan_ready) {
		for (size_t i = pk->next; i < pk->plan.n; i++) {
			struct plan_layer *l = &pk->plan.layers[i];
			if (!l->m && (r = member_ref(&pk->rd, "manifest.json", l->name, "layer", true, &l->m)) < 0)
				return r;
		}
		return 0;
	}
	if (outer_find(&pk->rd.o, "manifest.json"))
		r = docker_plan(&pk->rd, true, &pk->plan);
	else if (outer_find(&pk->rd.o, "index.json"))
		r = oci_plan(&pk->rd, &pk->plan);
	else if (outer_find(&pk->rd.o, "repositories"))
		r = legacy_plan(&pk->rd, &pk->plan);
	else
		r = qerr_set(pk->err, EINVAL, "%s: not an image archive (no manifest.json, index.json or repositories)", pq(pk->shown));
	pk->plan_ready = r == 1;
	return r < 0 ? r : 0;
}

static void report(struct pk *pk)
{
	struct applier *ap = &pk->ap;
	if (ap->devices)
		pk_warn("%s: skipped %llu device nodes (the guest's /dev is devtmpfs)", pq(pk->shown), (unsigned long long)ap->devices);
	if (ap->sockets)
		pk_warn("%s: skipped %llu sockets", pq(pk->shown), (unsigned long long)ap->sockets);
	if (ap->xattrs_refused)
		pk_warn("%s: the host refused %llu extended attributes", pq(pk->shown), (unsigned long long)ap->xattrs_refused);
}

static int publish(struct pk *pk)
{
	const struct imgcfg *c = &pk->plan.cfg;
	char plat[100];
	platform_format(c->plat.arch[0] ? &c->plat : &pk->rd.want, plat, sizeof plat);
	const struct entry_meta e = {
		.id = pk->plan.key, .source = pk->source ? pk->source : pk->opts && pk->opts->no_ref ? "(stdin)" : pk->real, .name = pk->plan.tag, .format = pk->plan.format,
		.platform = plat, .layers = (int64_t)pk->plan.n, .size = pk->ap.bytes,
		.files = (int64_t)pk->ap.files, .config = &c->config,
		.owners = pk->ap.root ? ENTRY_OWNERS_HOST : VIRTFS_MODEL,
	};
	progress_end(&pk->prog);
	int r = 0;
	if (!pk->ap.root) {
		char root[PATH_MAX];
		if (snprintf(root, sizeof root, "%s/%s/rootfs", pk->cache.dir, pk->cache.tmp) >= (int)sizeof root)
			return qerr_set(pk->err, ENAMETOOLONG, "cache path too long");
		if ((r = mapped_finish(&pk->ap, root, pk->shown)) < 0)
			return r;
	}
	r = cache_publish(&pk->cache, &e, pk->err);
	if (r < 0)
		return r;
	report(pk);
	r = cache_use(&pk->cache, pk->plan.key, pk->img, pk->err);
	if (r == 0)
		r = qerr_set(pk->err, EAGAIN, "cache entry %s was pruned as soon as it was made", pk->plan.key);
	pk->img->unpacked = r > 0;
	return r < 0 ? r : 0;
}

static int unpack(struct pk *pk)
{
	int r = outer_pass(&pk->rd.o, true, first_pass, pk, pk->err);
	if (r < 0 || pk->hit)
		return r;
	if ((r = make_plan(pk)) < 0)
		return r;
	if (!pk->begun && (r = start(pk)) != 0)
		return r < 0 ? r : 0;
	if ((r = apply_ready(pk)) < 0)
		return r;
	while (pk->next < pk->plan.n) {
		size_t before = pk->next;
		if ((r = outer_pass(&pk->rd.o, false, later_pass, pk, pk->err)) < 0)
			return r;
		if (pk->next == before)
			return qerr_set(pk->err, EIO, "%s: layer %s could not be read again", pq(pk->shown),
					pq(pk->plan.layers[pk->next].name));
	}
	return publish(pk);
}

/* The identity of a regular file, or of an image directory by the stat of
 * its index files; false for anything else (a pipe). */
static bool identity(struct pk *pk, const struct stat *st, int dfd, char ident[HEX64])
{
	char sel[PATH_MAX + 600];
	ident[0] = '\0';
	if (pk->no_ident || (pk->opts && pk->opts->no_ref) || !(S_ISREG(st->st_mode) || (S_ISDIR(st->st_mode) && dfd >= 0)))
		return false;
	int n = snprintf(sel, sizeof sel, "%s", pk->ref ? pk->ref : "");
	if (S_ISDIR(st->st_mode)) {
		sel[n] = '\n';
		dir_stamp(dfd, sel + n + 1, sizeof sel - (size_t)n - 1);
	}
	cache_identity(pk->real, st, sel, pk->platform, ident);
	return true;
}

static int warm(struct pk *pk, char ident[HEX64])
{
	struct stat st;
	char key[HEX64];
	int dfd = open(pk->real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = stat(pk->real, &st) == 0 && identity(pk, &st, dfd, ident);
	io_close(&dfd);
	if (!ok || cache_ref_get(&pk->cache, ident, key) < 0)
		return 0;
	return cache_use(&pk->cache, key, pk->img, pk->err);
}

static int setup(struct pk *pk, char *path, char *ref)
{
	pk->path = path;
	pk->ref = ref;
	pk->shown = pk->shown ? pk->shown : pk->opts && pk->opts->shown ? pk->opts->shown : pk->path;
	pk->rd.ref = pk->ref;
	int e = platform_want(pk->opts ? pk->opts->platform : NULL, &pk->rd.want, &pk->rd.any, pk->err);
	if (e)
		return e;
	platform_format(&pk->rd.want, pk->platform, sizeof pk->platform);
	pk->max_bytes = pk->opts && pk->opts->max_bytes ? pk->opts->max_bytes : PK_MAX_BYTES_DEFAULT;
	pk->max_entries = pk->opts && pk->opts->max_entries ? pk->opts->max_entries : PK_MAX_ENTRIES_DEFAULT;
	struct stat st;
	if (!(pk->real = realpath(pk->path, NULL))) {
		/* /dev/stdin on a pipe: no real path, but it can be read (once) */
		if (stat(pk->path, &st) < 0 || S_ISREG(st.st_mode) || !(pk->real = strdup(pk->path)))
			return qerr_sys(pk->err, errno ? errno : ENOENT, "%s", pq(pk->path));
	}
	return cache_open(&pk->cache, pk->opts, pk->err);
}

/* An archive file or image directory (path and ref are taken over). shown:
 * for messages (NULL: path); source: what the entry records (NULL: the real path). */
static int pack_local(char *path, char *ref, const char *shown, const char *source, bool no_ident,
		      const struct pack_opts *opts, struct image *img, struct qerr *err)
{
	struct pk pk = { .opts = opts, .err = err, .img = img, .rd.err = err, .shown = shown,
			 .source = source, .no_ident = no_ident };
	char ident[HEX64];
	*img = (struct image){ .lock_fd = -1 };
	pk.cache.dfd = pk.cache.unpack_lock = pk.cache.tmpfd = pk.cache.rootfd = -1;
	pk.rd.o.fd = -1;
	int r = setup(&pk, path, ref);
	if (r == 0 && (r = warm(&pk, ident)) == 0 && (r = outer_open(&pk.rd.o, pk.real, pk.shown, err)) == 0 &&
	    (r = unpack(&pk)) == 0 && identity(&pk, &pk.rd.o.st, pk.rd.o.dir ? pk.rd.o.fd : -1, ident))
		cache_ref_put(&pk.cache, ident, pk.plan.key, NULL);
	if (r > 0)
		r = 0;
	progress_end(&pk.prog);
	if (pk.begun)
		applier_free(&pk.ap);
	cache_close(&pk.cache);
	outer_close(&pk.rd.o);
	plan_free(&pk.plan);
	free(pk.path);
	free(pk.ref);
	free(pk.real);
	if (r < 0)
		image_free(img);
	return r;
}

/* A reference skopeo fetches: the cache as the pull policy allows, else a
 * pull into tmp/ and on as an image directory. */
static int pack_pulled(const struct source *src, const struct pack_opts *opts, struct image *img, struct qerr *err)
{
	struct cache c;
	struct pull p = { .lock = -1 };
	struct platform want;
	char plat[100];
	bool any;
	*img = (struct image){ .lock_fd = -1 };
	int e = platform_want(opts ? opts->platform : NULL, &want, &any, err);
	if (e)
		return e;
	platform_format(&want, plat, sizeof plat);
	int r = cache_open(&c, opts, err);
	if (r == 0 && (r = pull_start(&p, src, opts, plat, &c, err)) == 1)
		r = cache_use(&c, p.key, img, err);
	for (int tries = 0; r == 0 && tries < 3; tries++) {
		r = pull_fetch(&p, err);
		if (r == 1 && (r = cache_use(&c, p.key, img, err)) == 1)
			pull_record(&p, p.key);
		else if (r == 0) {
			char *dir = NULL, *ref = strdup(pull_layout_ref(&p));
			if (!ref || asprintf(&dir, "%s/layout", p.dir) < 0) {
				free(ref);
				r = qerr_set(err, ENOMEM, "out of memory");
				break;
			}
			r = pack_local(dir, ref, src->shown, src->name, true, opts, img, err);
			if (r == 0) {
				pull_record(&p, img->id);
				r = 1;
			}
		}
	}
	if (r == 0)
		r = qerr_set(err, EAGAIN, "%s: the cache entry keeps disappearing (a prune loop?)", pq(src->shown));
	pull_end(&p);
	cache_close(&c);
	if (r < 0)
		image_free(img);
	return r < 0 ? r : 0;
}

int pack_source(const struct source *src, const struct pack_opts *opts, struct image *img, struct qerr *err)
{
	char *path = NULL, *ref = NULL;
	*img = (struct image){ .lock_fd = -1 };
	switch (src->kind) {
	case SOURCE_STDIN:
		return qerr_set(err, EINVAL, "-: an archive on stdin is read by qpod run only");
	case SOURCE_ROOT:
		return qerr_set(err, EISDIR, "%s: is a directory without oci-layout or manifest.json, not an image",
				pq(src->shown));
	case SOURCE_LOCAL:
		if (!(path = strdup(src->path)) || (src->ref && !(ref = strdup(src->ref)))) {
			free(path);
			return qerr_set(err, ENOMEM, "out of memory");
		}
		return pack_local(path, ref, NULL, NULL, false, opts, img, err);
	default:
		return pack_pulled(src, opts, img, err);
	}
}

int pack_image(const char *spec, const struct pack_opts *opts, struct image *img, struct qerr *err)
{
	struct source src;
	*img = (struct image){ .lock_fd = -1 };
	int r = source_parse(spec, &src, err);
	if (r == 0)
		r = pack_source(&src, opts, img, err);
	source_free(&src);
	return r;
}

int pack_pull_parse(const char *s, enum pack_pull *out)
{
	if (!strcmp(s, "missing") || !strcmp(s, "newer"))
		*out = PULL_MISSING;
	else if (!strcmp(s, "always"))
		*out = PULL_ALWAYS;
	else if (!strcmp(s, "never"))
		*out = PULL_NEVER;
	else
		return -EINVAL;
	return 0;
}

void image_free(struct image *img)
{
	free(img->rootfs);
	free(img->id);
	runcfg_free(&img->config);
	io_close(&img->lock_fd);
	*img = (struct image){ .lock_fd = -1 };
}
