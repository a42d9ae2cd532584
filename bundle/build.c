/* SPDX-License-Identifier: Apache-2.0 */
/*
 * build.c: `qpod bundle`: IMAGE (anything `qpod run` takes) and the boot
 * images of `make image` into one bundle file (bundle.h draws it).
 *
 *   1. the image root: the packer's cached rootfs, or the directory given
 *   2. packer/rootfs/rootfs.c: one tar stream of it -> the OCI layer and the squashfs
 *   3. the documents (docs.c): image config (the image's Entrypoint, Cmd,
 *      Env, WorkingDir, User over the new layer), image manifest, launch
 *      config (launch.c), qpod manifest, nested index, index.json
 *   4. the tar: oci-layout, index.json, then the blobs by digest, each
 *      behind bd_tar_header(); written to APP.qpod.XXXXXX, renamed over
 *      APP.qpod when complete
 *   5. --sign KEY: APP.qpod.sig (sign.c)
 * Scratch files live in APP.qpod.tmp.XXXXXX/ next to the output and go
 * when it is done. Same inputs and SOURCE_DATE_EPOCH, same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "common/common.h"
#include "io.h"
#include "json.h"
#include "rootfs/rootfs.h"
#include "runner.h"

struct blob {
	char hex[HEX64];
	uint64_t size;
	const char *mem;         /* in memory, or */
	char path[4200];         /* a file */
};

struct build {
	const struct bundle_spec *s;
	struct qerr *err;
	char tmp[4200];
	struct blob blobs[BD_MAX_BLOBS];
	size_t n;
	char *docs[12];          /* documents to free */
	size_t ndocs;
	struct bd_doc d;
};

static struct blob *add_mem(struct build *b, const char *data, size_t len, struct bd_desc *d, const char *media)
{
	struct blob *bl = &b->blobs[b->n++];
	bl->mem = data;
	bl->size = len;
	sha256_hex(data, len, bl->hex);
	if (d) {
		snprintf(d->media, sizeof d->media, "%s", media);
		memcpy(d->hex, bl->hex, HEX64);
		d->size = len;
	}
	return bl;
}

static int hash_file(const char *path, char hex[HEX64], uint64_t *size, struct qerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha *s = sha_new();
	char *buf = malloc(1 << 20);
	int e = 0;
	*size = 0;
	if (fd < 0 || !s || !buf) {
		e = fd < 0 ? qerr_sys(err, errno, "open %s", path) : qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (ssize_t n; (n = io_read(fd, buf, 1 << 20)) != 0;) {
		if (n < 0) {
			e = qerr_sys(err, (int)-n, "read %s", path);
			goto out;
		}
		sha_update(s, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	sha_hex(s, hex);
out:
	io_close(&fd);
	if (s)
		sha_free(s);
	free(buf);
	return e;
}

static int add_file(struct build *b, const char *path, struct bd_desc *d, const char *media, const char *title)
{
	struct blob *bl = &b->blobs[b->n++];
	snprintf(bl->path, sizeof bl->path, "%s", path);
	int e = hash_file(path, bl->hex, &bl->size, b->err);
	if (e)
		return e;
	snprintf(d->media, sizeof d->media, "%s", media);
	memcpy(d->hex, bl->hex, HEX64);
	d->size = bl->size;
	snprintf(d->title, sizeof d->title, "%s", title ? title : "");
	return 0;
}

static char *keep(struct build *b, char *doc)
{
	if (doc)
		b->docs[b->ndocs++] = doc;
	return doc;
}

/* The image config: the image's run config over the one new layer. */
static int image_config(struct build *b, const struct runcfg *c, const char *layer_hex, const char *created,
			const struct arch *arch, char **out, size_t *len)
{
	struct jw w;
	char diff[80];
	const char *s;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "created", created);
	jw_kv_str(&w, "architecture", strchr(arch->platform, '/') + 1);
	jw_kv_str(&w, "os", "linux");
	jw_key(&w, "config");
	jw_obj(&w);
	if (c->entrypoint)
		jw_kv_strv(&w, "Entrypoint", c->entrypoint);
	if (c->cmd)
		jw_kv_strv(&w, "Cmd", c->cmd);
	if (c->env)
		jw_kv_strv(&w, "Env", c->env);
	if (c->workdir && *c->workdir)
		jw_kv_str(&w, "WorkingDir", c->workdir);
	if (c->user && *c->user)
		jw_kv_str(&w, "User", c->user);
	runcfg_extra_write(&w, c); /* Healthcheck, Labels: only an image's own */
	jw_end(&w);
	jw_key(&w, "rootfs");
	jw_obj(&w);
	jw_kv_str(&w, "type", "layers");
	snprintf(diff, sizeof diff, "sha256:%s", layer_hex);
	jw_key(&w, "diff_ids");
	jw_arr(&w);
	jw_str(&w, diff);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	if (jw_done(&w, &s, len) < 0 || !(*out = malloc(*len + 1))) {
		jw_free(&w);
		return qerr_set(b->err, ENOMEM, "out of memory");
	}
	memcpy(*out, s, *len + 1);
	jw_free(&w);
	keep(b, *out);
	return 0;
}

static void kernel_version(const char *dir, char *out, size_t cap)
{
	char p[4200], buf[65536];
	struct json j;
	out[0] = '\0';
	snprintf(p, sizeof p, "%s/manifest.json", dir);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : io_read_full(fd, buf, sizeof buf);
	io_close(&fd);
	if (n > 0 && json_parse_alloc(&j, buf, (size_t)n) >= 0) {
		json_str(&j, json_get(&j, 0, "kernel"), out, cap);
		json_free(&j);
	}
}

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct blob *)a)->hex, ((const struct blob *)b)->hex);
}

static int write_tar(struct build *b, const char *index, size_t index_len, struct qerr *err)
{
	const struct bundle_spec *s = b->s;
	char tmp[4200];
	static const char end[1024];
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", s->out);
	int fd = mkostemp(tmp, O_CLOEXEC), e;
	if (fd < 0)
		return qerr_sys(err, errno, "create %s", tmp);
	qsort(b->blobs, b->n, sizeof *b->blobs, cmp_blob);
	e = bd_tar_put(fd, "oci-layout", BD_OCI_LAYOUT, NULL, sizeof BD_OCI_LAYOUT - 1, s->epoch, err);
	if (!e)
		e = bd_tar_put(fd, "index.json", index, NULL, index_len, s->epoch, err);
	for (size_t i = 0; !e && i < b->n; i++) {
		char name[100];
		if (i && !strcmp(b->blobs[i].hex, b->blobs[i - 1].hex))
			continue; /* the same bytes twice ("{}"): one blob */
		snprintf(name, sizeof name, "blobs/sha256/%s", b->blobs[i].hex);
		e = bd_tar_put(fd, name, b->blobs[i].mem, b->blobs[i].mem ? NULL : b->blobs[i].path, b->blobs[i].size,
			s->epoch, err);
	}
	if (!e && (e = io_write_all(fd, end, sizeof end)) < 0)
		e = qerr_sys(err, -e, "write %s", tmp);
	if (!e && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, s->out) < 0))
		e = qerr_sys(err, errno, "write %s", s->out);
	close(fd);
	if (e)
		unlink(tmp);
	return e;
}

/* The squashfs gets its dm-verity tree (verity.c), and the command line,
 * conf's with the mapping added, goes to path. */
static int verity_cmdline(struct build *b, const struct vmconf *conf, const char *sqfs, char *path, size_t cap)
{
	char word[512], line[sizeof conf->cmdline + 600];
	int e = bd_verity(sqfs, word, sizeof word, b->err);
	if (e)
		return e;
	snprintf(path, cap, "%s/cmdline", b->tmp);
	int n = snprintf(line, sizeof line, "%s%s\n", conf->cmdline, word);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || n >= (int)sizeof line || io_write_all(fd, line, (size_t)n) < 0 || close(fd) < 0)
		return qerr_sys(b->err, errno ? errno : E2BIG, "write %s", path);
	return 0;
}

static int build(struct build *b, const struct image *img, const struct vmconf *conf, char digest[HEX64])
{
	const struct bundle_spec *s = b->s;
	struct bd_doc *d = &b->d;
	struct qerr *err = b->err;
	char created[32], p[4300], layer_hex[HEX64];
	time_t t = (time_t)s->epoch;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int e;
	char sqfs[4300], layer[4300], cmdline[4300];
	snprintf(layer, sizeof layer, "%s/layer.tar", b->tmp);
	snprintf(sqfs, sizeof sqfs, "%s/rootfs.squashfs", b->tmp);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if ((e = rootfs_build(img->rootfs, img->mapped ? walk_meta_virtfs : walk_meta_stat, layer, layer_hex, sqfs,
			      s->epoch, sde && *sde ? s->epoch : INT64_MAX, err)) ||
	    (e = verity_cmdline(b, conf, sqfs, cmdline, sizeof cmdline)))
		return e;
	for (int k = 0; k < P_N; k++) {
		const char *f = bd_part_file(k, conf->arch);
		if (k == P_LAUNCH || !f) /* the launch config is written below; a part the arch has not */
			continue;
		if (k == P_ROOTFS || k == P_CMDLINE)
			snprintf(p, sizeof p, "%s", k == P_ROOTFS ? sqfs : cmdline);
		else
			snprintf(p, sizeof p, "%s/%s", conf->dir, f);
		if ((e = add_file(b, p, &d->part[k], bd_parts[k].media_type, f)))
			return e;
	}
	char *doc;
	size_t len;
	if ((e = baked_write(s->o, &doc, &len, err)))
		return e;
	add_mem(b, keep(b, doc), len, &d->part[P_LAUNCH], bd_parts[P_LAUNCH].media_type);
	snprintf(d->part[P_LAUNCH].title, sizeof d->part[P_LAUNCH].title, "%s", bd_parts[P_LAUNCH].file);
	add_mem(b, "{}", 2, &d->empty, BD_MT_EMPTY);
	struct bd_desc cfg, lay;
	if ((e = add_file(b, layer, &lay, BD_MT_LAYER, NULL)) ||
	    (e = image_config(b, &img->config, layer_hex, created, conf->arch, &doc, &len)))
		return e;
	add_mem(b, doc, len, &cfg, BD_MT_CONFIG);
	if (bd_write_image_manifest(&cfg, &lay, &doc, &len) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	add_mem(b, keep(b, doc), len, &d->subject, BD_MT_MANIFEST);
	kernel_version(conf->dir, d->kernel_version, sizeof d->kernel_version);
	struct bd_desc qpod, nested;
	if (bd_write_qpod_manifest(d, created, &doc, &len) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	add_mem(b, keep(b, doc), len, &qpod, BD_MT_MANIFEST);
	if (bd_write_nested(&d->subject, conf->arch->platform, &qpod, &doc, &len) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	add_mem(b, keep(b, doc), len, &nested, BD_MT_INDEX);
	if (bd_write_index(&nested, &doc, &len) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	keep(b, doc);
	sha256_hex(doc, len, digest);
	return write_tar(b, doc, len, err);
}

int bundle_build(const struct bundle_spec *s, char digest[65], struct qerr *err)
{
	struct build b = { .s = s, .err = err };
	struct image img = { .lock_fd = -1 };
	struct vmconf conf;
	int e;
	const struct arch *arch = arch_host();
	const char *plat;
	char have[160];
	if ((e = image_open(s->o, &img, err)))
		goto out;
	/* The guest of the image's platform (else --platform's, else the host's), as run picks it. */
	plat = img.platform[0] ? img.platform : s->o->platform ? s->o->platform : arch ? arch->platform : "?";
	if (!(arch = arch_by_platform(plat))) {
		arch_platforms(have, sizeof have);
		e = qerr_set(err, ENOEXEC, "%s is %s: qpod has guests for %s only", s->o->image, plat, have);
		goto out;
	}
	if ((e = conf_load(&conf, arch, err)))
		goto out;
	snprintf(b.tmp, sizeof b.tmp, "%s.tmp.XXXXXX", s->out);
	if (!mkdtemp(b.tmp)) {
		e = qerr_sys(err, errno, "create %s", b.tmp);
		b.tmp[0] = '\0';
		goto out;
	}
	if ((e = build(&b, &img, &conf, digest)))
		goto out;
	if (s->sign_key) {
		char sig[4200];
		bundle_sig_path(s->out, sig, sizeof sig);
		e = bundle_sign(s->sign_key, digest, sig, err);
	}
out:
	if (b.tmp[0]) {
		static const char *const scratch[] = { "layer.tar", "rootfs.squashfs", "cmdline" };
		char p[4300];
		for (size_t i = 0; i < sizeof scratch / sizeof *scratch; i++) {
			snprintf(p, sizeof p, "%s/%s", b.tmp, scratch[i]);
			unlink(p);
		}
		rmdir(b.tmp);
	}
	for (size_t i = 0; i < b.ndocs; i++)
		free(b.docs[i]);
	image_free(&img);
	return e;
}
