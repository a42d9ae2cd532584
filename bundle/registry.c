/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.c: `qpod push APP.qpod REF` of a bundle (registry.h has the
 * protocol), and what pull.c shares: references, HTTP failures as one
 * line. Push sends what the file holds, each blob and manifest with its
 * own bytes and digest, after bundle_verify() read it whole.
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
#include "common/common.h"
#include "io.h"
#include "json.h"
#include "packer.h"
#include "registry.h"
#include "trust.h"


int where_parse(const char *ref, struct where *w, struct qerr *err)
{
	memset(w, 0, sizeof *w);
	const char *in = strncmp(ref, "docker://", 9) ? ref : ref + 9;
	int e = source_ref_parse(in, &w->s, err);
	if (e)
		return e;
	size_t hl = strcspn(w->s.repo, "/");
	snprintf(w->host, sizeof w->host, "%.*s", (int)hl, w->s.repo);
	snprintf(w->repo, sizeof w->repo, "%s", w->s.repo + hl + (w->s.repo[hl] == '/'));
	const char *c = w->s.canon + strlen(w->s.repo);
	snprintf(w->tag, sizeof w->tag, "%s", *c == ':' ? c + 1 : "");
	return 0;
}

int http_fail(struct reg *r, const char *what, const struct reg_resp *resp, struct qerr *err)
{
	char body[200] = "";
	if (resp->body)
		snprintf(body, sizeof body, ": %.*s", (int)strcspn(resp->body, "\r\n"), resp->body);
	for (char *p = body; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return qerr_set(err, resp->code == 404 ? ENOENT : EIO, "%s: %s: HTTP %ld%s", reg_name(r), what, resp->code,
			resp->code == 404 ? " (not found)" : body);
}

bool registry_ref(const char *image)
{
	struct source s = { 0 };
	struct qerr err;
	bool r = source_parse(image, &s, &err) == 0 && s.kind == SOURCE_REGISTRY;
	source_free(&s);
	return r;
}

/* ---- push ---- */

static int push_blob(struct reg *r, const char *hex, const char *mem, int fd, uint64_t off, uint64_t size,
		     int *sent, struct qerr *err)
{
	char path[200], url[2300];
	struct reg_resp resp = { .fd = -1, .max = 4096 };
	snprintf(path, sizeof path, "blobs/sha256:%s", hex);
	int e = reg_do(r, "HEAD", path, NULL, NULL, NULL, -1, 0, 0, &resp, err);
	if (!e && resp.code == 200)
		goto out; /* the registry has it */
	if (!e && (e = reg_do(r, "POST", "blobs/uploads/", NULL, NULL, NULL, -1, 0, 0, &resp, err)) == 0 &&
	    (resp.code != 202 || !resp.location[0]))
		e = http_fail(r, "start an upload", &resp, err);
	if (e)
		goto out;
	snprintf(url, sizeof url, "%s%cdigest=sha256:%s", resp.location, strchr(resp.location, '?') ? '&' : '?', hex);
	if (!(e = reg_do(r, "PUT", url, "application/octet-stream", NULL, mem, mem ? -1 : fd, off, size, &resp, err)) &&
	    resp.code != 201)
		e = http_fail(r, "upload a blob", &resp, err);
	if (!e)
		++*sent;
out:
	free(resp.body);
	return e;
}

static int push_manifest(struct reg *r, const char *name, const char *type, const char *data, size_t len,
			 struct qerr *err)
{
	char path[300], hex[HEX64];
	struct reg_resp resp = { .fd = -1, .max = 4096 };
	snprintf(path, sizeof path, "manifests/%s", name);
	sha256_hex(data, len, hex);
	int e = reg_do(r, "PUT", path, type, NULL, data, -1, 0, len, &resp, err);
	if (!e && resp.code != 201)
		e = http_fail(r, path, &resp, err);
	else if (!e && resp.digest[0] && strcmp(resp.digest + 7, hex))
		e = qerr_set(err, EIO, "%s: %s was stored as %s, not as its bytes' sha256:%s", reg_name(r), path,
			     resp.digest, hex);
	free(resp.body);
	return e;
}

/* APP.qpod.sig as a cosign-style tag: sha256-<nested hex>.sig. */
static int push_sig(struct reg *r, const struct bundle *b, const char *sig_path, int *sent, struct qerr *err)
{
	char sig[65536], hex[HEX64], tag[100];
	int fd = open(sig_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : qerr_sys(err, errno, "%s", sig_path);
	ssize_t n = io_read_full(fd, sig, sizeof sig);
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof sig)
		return qerr_set(err, EINVAL, "%s: not a signature file", sig_path);
	sha256_hex(sig, (size_t)n, hex);
	int e = push_blob(r, hex, sig, -1, 0, (uint64_t)n, sent, err);
	if (e)
		return e;
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "schemaVersion");
	jw_int(&w, 2);
	jw_kv_str(&w, "mediaType", BD_MT_MANIFEST);
	jw_kv_str(&w, "artifactType", BD_SIG_ARTIFACT);
	const struct { const char *key, *media, *hex; uint64_t size; } d[] = {
		{ "config", BD_MT_EMPTY, BD_EMPTY_HEX, 2 },
		{ "layers", BD_SIG_MEDIA, hex, (uint64_t)n },
		{ "subject", BD_MT_INDEX, b->nested->hex, b->nested->size },
	};
	for (size_t i = 0; i < 3; i++) {
		char dg[80];
		jw_key(&w, d[i].key);
		if (i == 1)
			jw_arr(&w);
		jw_obj(&w);
		snprintf(dg, sizeof dg, "sha256:%s", d[i].hex);
		jw_kv_str(&w, "mediaType", d[i].media);
		jw_kv_str(&w, "digest", dg);
		jw_key(&w, "size");
		jw_int(&w, (int64_t)d[i].size);
		jw_end(&w);
		if (i == 1)
			jw_end(&w);
	}
	jw_end(&w);
	snprintf(tag, sizeof tag, "sha256-%s.sig", b->nested->hex);
	e = w.err ? qerr_set(err, ENOMEM, "out of memory") : push_manifest(r, tag, BD_MT_MANIFEST, w.buf, w.len, err);
	jw_free(&w);
	return e;
}

int registry_push(const char *file, const char *ref, const struct reg_opts *o, struct qerr *err)
{
	struct bundle b = { .fd = -1 };
	struct where w;
	struct reg *r = NULL;
	char sig[4200];
	int e = where_parse(ref, &w, err), sent = 0, have = 0;
	if (e)
		return e;
	if (!w.tag[0]) {
		e = qerr_set(err, EINVAL, "%s: push to a tag (REGISTRY/REPO:TAG)", ref);
		goto out;
	}
	if ((e = bundle_open(file, &b, err)) == 1)
		e = qerr_set(err, EINVAL, "%s is not a bundle (qpod bundle makes one)", file);
	if (e || (e = bundle_verify(&b, true, err)) || (e = reg_open(&r, w.host, w.repo, true, o, err)))
		goto out;
	for (size_t i = 0; !e && i < b.nblobs; i++) {
		const struct bd_blob *bl = &b.blobs[i];
		if (bl == b.nested || bl == b.image || bl == b.qpod)
			continue;
		int before = sent;
		e = push_blob(r, bl->hex, NULL, b.fd, bl->off, bl->size, &sent, err);
		have += !e && sent == before;
	}
	char name[80];
	snprintf(name, sizeof name, "sha256:%s", b.image->hex);
	if (!e)
		e = push_manifest(r, name, BD_MT_MANIFEST, b.image->data, b.image->size, err);
	snprintf(name, sizeof name, "sha256:%s", b.qpod->hex);
	if (!e)
		e = push_manifest(r, name, BD_MT_MANIFEST, b.qpod->data, b.qpod->size, err);
	if (!e)
		e = push_manifest(r, w.tag, BD_MT_INDEX, b.nested->data, b.nested->size, err);
	bundle_sig_path(file, sig, sizeof sig);
	bool signed_ = access(sig, F_OK) == 0;
	if (!e)
		e = push_sig(r, &b, sig, &sent, err);
	if (!e && !o->quiet)
		printf("sha256:%s  %s/%s:%s  (%d blobs sent, %d already there, %s)\n", b.digest, w.host, w.repo,
		       w.tag, sent, have, signed_ ? "signed" : "unsigned");
out:
	reg_close(r);
	bundle_close(&b);
	source_free(&w.s);
	return e;
}
