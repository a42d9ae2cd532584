/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci.c: OCI image layouts in a tar (skopeo oci-archive, BuildKit
 * type=oci, containerd export, the OCI half of Docker 25+ saves).
 *
 *   index.json --manifests[]--> index (nested, up to 4 deep) | manifest
 *   manifest --config--> image config, --layers[]--> blobs
 * Every blob is "blobs/sha256/<hex>" and is checked against its
 * descriptor's digest and size. Docker media types in the layout
 * (manifest list, v2 manifest) are read the same way.
 *
 * Choosing: at the top, SPEC's NAME filters by the annotations
 * org.opencontainers.image.ref.name and io.containerd.image.name. Among
 * entries with a platform, the first matching ours (the host's unless
 * --platform) wins; without --platform, an index of one platform only
 * gives that one (platform.c); attestation manifests (platform
 * unknown/unknown) are never chosen. No match: "no linux/amd64 variant
 * (has: ...)". Several unnamed images without platforms: the user must
 * name one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"

struct desc {
	char hex[HEX64];
	char media[128];
	uint64_t size;           /* UINT64_MAX: not given */
};

static int read_desc(struct reader *rd, const struct json *j, int d, const char *what, struct desc *out)
{
	char digest[300];
	int64_t size;
	*out = (struct desc){ .size = UINT64_MAX };
	if (json_type(j, d) != JSON_OBJECT || json_str(j, json_get(j, d, "digest"), digest, sizeof digest) <= 0)
		return qerr_set(rd->err, EINVAL, "%s: %s: a descriptor has no digest", pq(rd->o.shown), what);
	int r = digest_parse(digest, out->hex);
	if (r == -ENOTSUP)
		return qerr_set(rd->err, ENOTSUP, "%s: %s: digest %s: only sha256 is supported", pq(rd->o.shown), what, pq(digest));
	if (r < 0)
		return qerr_set(rd->err, EINVAL, "%s: %s: malformed digest %s", pq(rd->o.shown), what, pq(digest));
	if (json_int(j, json_get(j, d, "size"), &size) == 0) {
		if (size < 0)
			return qerr_set(rd->err, EINVAL, "%s: %s: negative size", pq(rd->o.shown), what);
		out->size = (uint64_t)size;
	}
	if (json_str(j, json_get(j, d, "mediaType"), out->media, sizeof out->media) < 0)
		out->media[0] = '\0';
	return 0;
}

/* The blob of a descriptor, present and matching it. */
static int desc_blob(struct reader *rd, const struct desc *d, const char *what, struct member **m)
{
	char name[100];
	snprintf(name, sizeof name, "blobs/sha256/%s", d->hex);
	int r = outer_lookup(&rd->o, "", name, m, rd->err);
	if (r == -EXDEV || r == -ELOOP)
		return qerr_set(rd->err, EXDEV, "%s: %s blob %s is a link that escapes the archive", pq(rd->o.shown), what, name);
	if (r < 0)
		return qerr_set(rd->err, ENOENT, "%s: %s blob sha256:%.12s... is not in the archive", pq(rd->o.shown), what, d->hex);
	return 0;
}

static int blob_json(struct reader *rd, const struct desc *d, const char *what, struct member **mp, struct json *j)
{
	struct member *m;
	int r = desc_blob(rd, d, what, &m);
	if (r < 0 || (r = outer_fetch(&rd->o, m, PK_JSON_MAX, rd->err)) < 0)
		return r;
	if (strcmp(m->sha, d->hex))
		return qerr_set(rd->err, EINVAL, "%s: %s %s: digest mismatch: the content is sha256:%.12s...",
				pq(rd->o.shown), what, pq(m->name), m->sha);
	if (d->size != UINT64_MAX && d->size != m->size)
		return qerr_set(rd->err, EINVAL, "%s: %s %s: size mismatch: %llu bytes, the descriptor says %llu",
				pq(rd->o.shown), what, pq(m->name), (unsigned long long)m->size, (unsigned long long)d->size);
	*j = (struct json){ 0 };
	if (json_parse_alloc(j, (const char *)m->data, m->size) < 0 || json_type(j, 0) != JSON_OBJECT) {
		if (j->t)
			json_free(j);
		return qerr_set(rd->err, EINVAL, "%s: %s %s is not a JSON object", pq(rd->o.shown), what, pq(m->name));
	}
	if (mp)
		*mp = m;
	return 0;
}

static bool entry_platform(const struct json *j, int e, struct platform *p)
{
	int pl = json_get(j, e, "platform");
	*p = (struct platform){ 0 };
	if (json_type(j, pl) != JSON_OBJECT)
		return false;
	json_str(j, json_get(j, pl, "os"), p->os, sizeof p->os);
	json_str(j, json_get(j, pl, "architecture"), p->arch, sizeof p->arch);
	json_str(j, json_get(j, pl, "variant"), p->variant, sizeof p->variant);
	return true;
}

static bool entry_named(const struct json *j, int e, const char *want, char *list, size_t cap)
{
	static const char *const keys[] = { "io.containerd.image.name", "org.opencontainers.image.ref.name" };
	int ann = json_get(j, e, "annotations");
	char s[512];
	bool hit = false, any = false;
	for (int k = 0; k < 2; k++)
		if (json_str(j, json_get(j, ann, keys[k]), s, sizeof s) > 0) {
			hit = hit || (want && ref_match(want, s));
			if (!any)
				tags_add(list, cap, s);
			any = true;
		}
	if (!any)
		tags_add(list, cap, "(unnamed)");
	return hit;
}

/* Top-level entries with different names are different images, not the
 * platform variants of one: the user must pick (docker load would load all). */
static bool several_images(const struct json *j, int arr)
{
	static const char *const keys[] = { "io.containerd.image.name", "org.opencontainers.image.ref.name" };
	char first[512] = "", s[512];
	uint32_t k;
	int it;
	JSON_EACH(j, arr, it, k) {
		int ann = json_get(j, it, "annotations");
		for (int key = 0; key < 2; key++)
			if (json_str(j, json_get(j, ann, keys[key]), s, sizeof s) > 0) {
				if (!first[0])
					strcpy(first, s);
				else if (strcmp(first, s))
					return true;
				break;
			}
	}
	return false;
}

/* What manifests[] offers: the first entry for our platform, entries
 * without a platform, and names and platforms for messages. */
struct offer {
	int match, unplat, n_named, n_unplat;
	int other, n_other;      /* the first entry of another platform; how many differ from its */
	struct platform mp, op;  /* the platforms of match and other */
	char names[300], plats[300];
};

static void scan(struct reader *rd, const struct json *j, int arr, bool top, struct offer *o)
{
	uint32_t k;
	int it;
	char w[100];
	*o = (struct offer){ .match = -1, .unplat = -1, .other = -1 };
	JSON_EACH(j, arr, it, k) {
		struct platform p;
		bool named = entry_named(j, it, top ? rd->ref : NULL, o->names, sizeof o->names);
		if (top && rd->ref && !named)
			continue;
		o->n_named++;
		if (!entry_platform(j, it, &p)) {
			o->unplat = o->unplat < 0 ? it : o->unplat;
			o->n_unplat++;
		} else if (strcmp(p.os, "unknown") && platform_match(&rd->want, &p)) {
			if (o->match < 0)
				o->match = it, o->mp = p;
		} else if (strcmp(p.os, "unknown")) {
			platform_format(&p, w, sizeof w);
			tags_add(o->plats, sizeof o->plats, w);
			if (o->other < 0)
				o->other = it, o->op = p;
			else if (!platform_match(&o->op, &p))
				o->n_other++;
		}
	}
}

/* Pick one entry of manifests[] (j, arr). top: NAME filtering applies. */
static int pick(struct reader *rd, const struct json *j, int arr, bool top, int *out)
{
	struct offer o;
	char w[100];
	if (json_type(j, arr) != JSON_ARRAY || j->t[arr].size == 0)
		return qerr_set(rd->err, ENOENT, "%s: the index lists no images", pq(rd->o.shown));
	scan(rd, j, arr, top, &o);
	/* no --platform, and the index has one platform only: that one */
	if (o.match < 0 && rd->any && o.other >= 0 && o.n_other == 0 && o.n_unplat == 0)
		o.match = o.other, o.mp = o.op;
	*out = o.match >= 0 ? o.match : o.unplat;
	rd->got = o.match >= 0 ? o.mp : (struct platform){ 0 };
	if (top && !rd->ref && several_images(j, arr))
		return qerr_set(rd->err, EINVAL, "%s holds %u images; name one as %s:NAME (has: %s)",
				pq(rd->o.shown), j->t[arr].size, pq(rd->o.shown), o.names);
	if (top && rd->ref && o.n_named == 0)
		return qerr_set(rd->err, ENOENT, "%s: no image named %s (has: %s)", pq(rd->o.shown), pq(rd->ref), o.names);
	if (o.match >= 0 || o.n_unplat == 1)
		return 0;
	if (o.n_unplat > 1)
		return qerr_set(rd->err, EINVAL, "%s holds %d images; name one as %s:NAME (has: %s)",
				pq(rd->o.shown), o.n_unplat, pq(rd->o.shown), o.names);
	platform_format(&rd->want, w, sizeof w);
	return qerr_set(rd->err, ENOEXEC, "%s: the image has no %s variant (has: %s)", pq(rd->o.shown), w,
			o.plats[0] ? o.plats : "none");
}

static bool is_index(const struct desc *d, const struct json *j)
{
	if (strstr(d->media, "index") || strstr(d->media, "manifest.list"))
		return true;
	return !d->media[0] && json_get(j, 0, "manifests") >= 0;
}

static int read_layers(struct reader *rd, struct plan *p, const struct json *j)
{
	int layers = json_get(j, 0, "layers");
	uint32_t k;
	int it;
	if (json_type(j, layers) != JSON_ARRAY)
		return qerr_set(rd->err, EINVAL, "%s: the manifest has no layers list", pq(rd->o.shown));
	JSON_EACH(j, layers, it, k) {
		struct desc d;
		struct member *m;
		int r = read_desc(rd, j, it, "manifest layers", &d);
		if (r < 0)
			return r;
		if (strstr(d.media, "encrypted"))
			return qerr_set(rd->err, ENOTSUP, "%s: layer %u is encrypted (%s)", pq(rd->o.shown), k, pq(d.media));
		if (d.media[0] && !strstr(d.media, "tar"))
			return qerr_set(rd->err, ENOTSUP, "%s: layer %u has media type %s, not a tar layer", pq(rd->o.shown), k, pq(d.media));
		if ((r = desc_blob(rd, &d, "layer", &m)) < 0)
			return r;
		if (plan_layer_add(p, m->name, m, d.hex, d.size) < 0)
			return qerr_set(rd->err, ENOMEM, "out of memory");
	}
	return 0;
}

static int read_manifest(struct reader *rd, struct plan *p, const struct json *j)
{
	int cfg = json_get(j, 0, "config");
	struct desc d;
	struct member *m;
	struct json cj;
	if (json_int(j, json_get(j, 0, "schemaVersion"), &(int64_t){ 0 }) == 0 && json_get(j, 0, "fsLayers") >= 0)
		return qerr_set(rd->err, ENOTSUP, "%s: docker schema 1 manifests are not supported", pq(rd->o.shown));
	int r = read_desc(rd, j, cfg, "manifest config", &d);
	if (r < 0)
		return r;
	if (d.media[0] && !strstr(d.media, "image.config") && !strstr(d.media, "container.image"))
		return qerr_set(rd->err, ENOTSUP, "%s: not a container image (config media type %s)", pq(rd->o.shown), pq(d.media));
	if ((r = blob_json(rd, &d, "config", &m, &cj)) < 0)
		return r;
	json_free(&cj);
	memcpy(p->key, d.hex, HEX64);
	if (imgcfg_parse((const char *)m->data, m->size, &p->cfg, rd->err) < 0)
		return qerr_wrap(rd->err, "%s: config %s", pq(rd->o.shown), pq(m->name));
	if ((r = read_layers(rd, p, j)) < 0)
		return r;
	return plan_check(rd, p, "the manifest");
}

/* Follow the chosen descriptor down to a manifest. */
static int descend(struct reader *rd, struct plan *p, const struct json *j, int arr, bool top, int depth)
{
	int e = 0, r = pick(rd, j, arr, top, &e);
	struct desc d;
	struct json sub;
	if (r < 0 || (r = read_desc(rd, j, e, "index", &d)) < 0)
		return r;
	if ((r = blob_json(rd, &d, "manifest", NULL, &sub)) < 0)
		return r;
	if (is_index(&d, &sub)) {
		r = depth >= PK_MAX_INDEX_DEPTH
			? qerr_set(rd->err, ELOOP, "%s: indexes nested more than %d deep", pq(rd->o.shown), PK_MAX_INDEX_DEPTH)
			: descend(rd, p, &sub, json_get(&sub, 0, "manifests"), false, depth + 1);
	} else
		r = read_manifest(rd, p, &sub);
	json_free(&sub);
	return r;
}

int oci_plan(struct reader *rd, struct plan *out)
{
	struct member *m = outer_find(&rd->o, "index.json");
	struct json j;
	struct plan p = { .format = "oci" };
	if (!m || m->type != M_FILE)
		return qerr_set(rd->err, ENOENT, "%s: no index.json", pq(rd->o.shown));
	int r = member_json(rd, m, "index", &j);
	if (r < 0)
		return r;
	if (json_type(&j, 0) != JSON_OBJECT)
		r = qerr_set(rd->err, EINVAL, "%s: index.json is not a JSON object", pq(rd->o.shown));
	else
		r = descend(rd, &p, &j, json_get(&j, 0, "manifests"), true, 0);
	if (r == 0 && rd->ref)
		p.tag = strdup(rd->ref);
	json_free(&j);
	if (r < 0) {
		plan_free(&p);
		return r;
	}
	*out = p;
	return 1;
}

int oci_pick_manifest(const char *shown, const char *buf, size_t n, const char *platform, char hex[HEX64],
		      char *picked, size_t cap, struct qerr *err)
{
	struct reader rd = { .o = { .shown = shown, .fd = -1 }, .err = err };
	struct json j = { 0 };
	struct desc d;
	int e = 0, r;
	if ((r = platform_want(platform, &rd.want, &rd.any, err)))
		return r;
	if (json_parse_alloc(&j, buf, n) < 0 || json_type(&j, 0) != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		return qerr_set(err, EINVAL, "%s: the index is not a JSON object", pq(shown));
	}
	if ((r = pick(&rd, &j, json_get(&j, 0, "manifests"), false, &e)) == 0 &&
	    (r = read_desc(&rd, &j, e, "index", &d)) == 0) {
		if (strstr(d.media, "index") || strstr(d.media, "manifest.list"))
			r = qerr_set(err, ENOTSUP, "%s: an index inside an index (not supported from a registry)", pq(shown));
		else
			memcpy(hex, d.hex, HEX64);
		platform_format(rd.got.arch[0] ? &rd.got : &rd.want, picked, cap);
	}
	json_free(&j);
	return r;
}
