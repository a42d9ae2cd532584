/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker.c: archives made by `docker save` and tools that write its format
 * (skopeo docker-archive, kaniko/crane tarballs, containerd export).
 *
 * manifest.json is a list of images:
 *   [{"Config": "<path>", "RepoTags": ["repo:tag", ...], "Layers": ["<path>", ...]}]
 * Paths are members of the archive: "<hex>.json" or "blobs/sha256/<hex>"
 * (Docker 25+), "sha256:<hex>" (go-containerregistry), layers as
 * "<v1id>/layer.tar", "<diffid>.tar" or "<digest>.tar.gz". A path that
 * escapes the archive is refused; in-archive symlinks (skopeo writes
 * "<id>/layer.tar -> ../<diffid>.tar") are followed inside it.
 *
 * One image: no name needed. Several: SPEC must name one by a RepoTag
 * (docker load would load them all); an unknown name lists those present.
 * The config's sha256 is the image ID and the cache key; a name that claims
 * a digest must match it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"

static void list_tags(const struct json *j, char *out, size_t cap)
{
	uint32_t k, t;
	int it, tag;
	out[0] = '\0';
	JSON_EACH(j, 0, it, k) {
		int tags = json_get(j, it, "RepoTags");
		char s[256];
		bool any = false;
		if (json_type(j, tags) == JSON_ARRAY)
			JSON_EACH(j, tags, tag, t)
				if (json_str(j, tag, s, sizeof s) > 0)
					tags_add(out, cap, s), any = true;
		if (!any)
			tags_add(out, cap, "(untagged)");
	}
}

/* The manifest entry SPEC names (or the only one). */
static int pick(struct reader *rd, const struct json *j, int *entry, char **tag)
{
	char list[300], s[512];
	uint32_t k, t;
	int it, tg;
	*tag = NULL;
	if (json_type(j, 0) != JSON_ARRAY || j->t[0].size == 0)
		return qerr_set(rd->err, EINVAL, "%s: manifest.json lists no images", pq(rd->o.shown));
	JSON_EACH(j, 0, it, k) {
		int tags = json_get(j, it, "RepoTags");
		if (json_type(j, it) != JSON_OBJECT)
			return qerr_set(rd->err, EINVAL, "%s: manifest.json: entry %u is not an object", pq(rd->o.shown), k);
		if (!rd->ref && j->t[0].size == 1) {
			*entry = it;
			if (json_type(j, tags) == JSON_ARRAY && j->t[tags].size && json_str(j, tags + 1, s, sizeof s) > 0)
				*tag = strdup(s);
			return 0;
		}
		if (rd->ref && json_type(j, tags) == JSON_ARRAY)
			JSON_EACH(j, tags, tg, t)
				if (json_str(j, tg, s, sizeof s) > 0 && ref_match(rd->ref, s)) {
					*entry = it;
					*tag = strdup(s);
					return 0;
				}
	}
	list_tags(j, list, sizeof list);
	if (!rd->ref)
		return qerr_set(rd->err, EINVAL, "%s holds %u images; name one as %s:NAME (has: %s)",
				pq(rd->o.shown), j->t[0].size, pq(rd->o.shown), list);
	return qerr_set(rd->err, ENOENT, "%s: no image named %s (has: %s)", pq(rd->o.shown), pq(rd->ref), list);
}

static int read_config(struct reader *rd, struct plan *p, const char *ref, bool final)
{
	struct member *m;
	int r = member_ref(rd, "manifest.json", ref, "config", final, &m);
	if (r != 0)
		return r;
	if (!m->data && !final)
		return 1;
	struct json j;
	if ((r = member_json(rd, m, "config", &j)) < 0)
		return r;
	json_free(&j);
	char named[HEX64];
	for (int k = 0; k < 2; k++) {
		name_digest(k ? m->name : ref, named);
		if (named[0] && strcmp(named, m->sha))
			return qerr_set(rd->err, EINVAL, "%s: config %s: digest mismatch: the name says sha256:%.12s..., the content is sha256:%.12s...",
					pq(rd->o.shown), pq(ref), named, m->sha);
	}
	memcpy(p->key, m->sha, HEX64);
	if ((r = imgcfg_parse((const char *)m->data, m->size, &p->cfg, rd->err)) < 0)
		return qerr_wrap(rd->err, "%s: config %s", pq(rd->o.shown), pq(ref));
	return 0;
}

static int read_layers(struct reader *rd, struct plan *p, const struct json *j, int layers, bool final)
{
	uint32_t k;
	int it;
	if (json_type(j, layers) != JSON_ARRAY)
		return qerr_set(rd->err, EINVAL, "%s: manifest.json: Layers is not a list", pq(rd->o.shown));
	JSON_EACH(j, layers, it, k) {
		char ref[4096], clean[4096];
		struct member *m = NULL;
		if (json_str(j, it, ref, sizeof ref) <= 0)
			return qerr_set(rd->err, EINVAL, "%s: manifest.json: Layers[%u] is not a path", pq(rd->o.shown), k);
		int r = member_ref(rd, "manifest.json", ref, "layer", final, &m);
		if (r < 0)
			return r;
		if (path_clean(ref, clean, sizeof clean) < 0 ||
		    plan_layer_add(p, clean, r == 0 ? m : NULL, NULL, UINT64_MAX) < 0)
			return qerr_set(rd->err, ENOMEM, "%s: manifest.json: Layers[%u]", pq(rd->o.shown), k);
	}
	return 0;
}

int docker_plan(struct reader *rd, bool final, struct plan *out)
{
	struct member *mf = outer_find(&rd->o, "manifest.json");
	if (!mf || mf->type != M_FILE || (!final && !mf->data))
		return final ? qerr_set(rd->err, ENOENT, "%s: no manifest.json", pq(rd->o.shown)) : 0;
	struct json j;
	struct plan p = { .format = "docker-archive" };
	int entry = 0, r = member_json(rd, mf, "manifest", &j);
	if (r < 0)
		return r;
	char cfg[4096];
	if ((r = pick(rd, &j, &entry, &p.tag)) < 0)
		goto out;
	if (json_str(&j, json_get(&j, entry, "Config"), cfg, sizeof cfg) <= 0) {
		r = qerr_set(rd->err, EINVAL, "%s: manifest.json: the image has no Config", pq(rd->o.shown));
		goto out;
	}
	if ((r = read_config(rd, &p, cfg, final)) != 0) {
		r = r > 0 ? 0 : r;
		goto out;
	}
	if ((r = read_layers(rd, &p, &j, json_get(&j, entry, "Layers"), final)) < 0)
		goto out;
	if ((r = plan_check(rd, &p, "manifest.json")) < 0)
		goto out;
	*out = p;
	p = (struct plan){ 0 };
	r = 1;
out:
	json_free(&j);
	plan_free(&p);
	return r;
}
