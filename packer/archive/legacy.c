/* SPDX-License-Identifier: Apache-2.0 */
/*
 * legacy.c: docker save archives from before Docker 1.10 (no manifest.json).
 *
 *   repositories          {"repo": {"tag": "<id>"}}
 *   <id>/json             v1 image JSON: "parent", "config", "architecture"
 *   <id>/layer.tar        the layer
 * The image is the chain from the tagged id through "parent" links; its
 * layers apply root first. The top json is the config. There are no
 * rootfs.diff_ids to check layers against: the cache key is the sha256 of
 * the chain's json documents, so an archive is still keyed by its content,
 * but a layer's bytes are only as trustworthy as the archive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"
#include "vec.h"

#define ID_MAX 128

/* The id SPEC names in repositories (or the only one). */
static int pick(struct reader *rd, const struct json *j, char id[ID_MAX], char **tag)
{
	char list[300] = "", name[512], t[256];
	uint32_t k, kk;
	int repo, it, found = 0;
	if (json_type(j, 0) != JSON_OBJECT)
		return qerr_set(rd->err, EINVAL, "%s: repositories is not a JSON object", pq(rd->o.shown));
	JSON_EACH(j, 0, repo, k) {
		if (json_str(j, repo, name, 256) <= 0 || json_type(j, repo + 1) != JSON_OBJECT)
			continue;
		JSON_EACH(j, repo + 1, it, kk) {
			size_t n = strlen(name);
			if (json_str(j, it, t, sizeof t) <= 0)
				continue;
			snprintf(name + n, sizeof name - n, ":%s", t);
			tags_add(list, sizeof list, name);
			if ((rd->ref ? ref_match(rd->ref, name) : !found) && json_str(j, it + 1, id, ID_MAX) > 0) {
				free(*tag);
				*tag = strdup(name);
			}
			found++;
			name[n] = '\0';
		}
	}
	if (!*tag && rd->ref)
		return qerr_set(rd->err, ENOENT, "%s: no image named %s (has: %s)", pq(rd->o.shown), pq(rd->ref), list);
	if (!*tag || (!rd->ref && found > 1))
		return qerr_set(rd->err, EINVAL, "%s holds %d images; name one as %s:NAME (has: %s)",
				pq(rd->o.shown), found, pq(rd->o.shown), list);
	return 0;
}

/* Follow "parent" from id; ids[0] is the top. */
static int chain(struct reader *rd, const char *top, char (**ids)[ID_MAX], size_t *n)
{
	char id[ID_MAX], path[ID_MAX + 8];
	snprintf(id, sizeof id, "%s", top);
	*ids = NULL;
	*n = 0;
	while (id[0]) {
		struct member *m;
		struct json j;
		if (*n >= PK_MAX_LAYERS)
			return qerr_set(rd->err, ELOOP, "%s: the parent chain of %s is too long (or a loop)", pq(rd->o.shown), pq(top));
		snprintf(path, sizeof path, "%s/json", id);
		int r = member_ref(rd, "repositories", path, "image json", true, &m);
		if (r < 0 || (r = member_json(rd, m, "image json", &j)) < 0)
			return r;
		if (vec_grow(ids, *n, sizeof **ids)) {
			json_free(&j);
			return qerr_set(rd->err, ENOMEM, "out of memory");
		}
		memcpy((*ids)[(*n)++], id, ID_MAX);
		if (json_str(&j, json_get(&j, 0, "parent"), id, sizeof id) <= 0)
			id[0] = '\0';
		json_free(&j);
	}
	return 0;
}

static int build(struct reader *rd, struct plan *p, char (*ids)[ID_MAX], size_t n)
{
	struct sha *key = sha_new();
	char path[ID_MAX + 16];
	if (!key)
		return qerr_set(rd->err, ENOMEM, "out of memory");
	sha_update(key, "qpod-legacy-1\n", 14);
	for (size_t i = 0; i < n; i++) {
		struct member *m;
		snprintf(path, sizeof path, "%s/json", ids[i]);
		if (member_ref(rd, "repositories", path, "image json", true, &m) == 0)
			sha_update(key, m->sha, 64);
	}
	sha_hex(key, p->key);
	sha_free(key);
	for (size_t i = n; i-- > 0;) {
		struct member *m;
		snprintf(path, sizeof path, "%s/layer.tar", ids[i]);
		int r = member_ref(rd, path, path, "layer", true, &m);
		if (r < 0)
			return r;
		if (plan_layer_add(p, path, m, NULL, UINT64_MAX) < 0)
			return qerr_set(rd->err, ENOMEM, "out of memory");
	}
	snprintf(path, sizeof path, "%s/json", ids[0]);
	struct member *top;
	int r = member_ref(rd, "repositories", path, "image json", true, &top);
	if (r < 0)
		return r;
	if (imgcfg_parse((const char *)top->data, top->size, &p->cfg, rd->err) < 0)
		return qerr_wrap(rd->err, "%s: %s", pq(rd->o.shown), pq(path));
	return plan_check(rd, p, "repositories");
}

int legacy_plan(struct reader *rd, struct plan *out)
{
	struct member *m = outer_find(&rd->o, "repositories");
	struct json j;
	struct plan p = { .format = "docker-legacy" };
	char id[ID_MAX], (*ids)[ID_MAX] = NULL;
	size_t n = 0;
	if (!m || m->type != M_FILE)
		return qerr_set(rd->err, ENOENT, "%s: no repositories file", pq(rd->o.shown));
	int r = member_json(rd, m, "repositories", &j);
	if (r < 0)
		return r;
	r = pick(rd, &j, id, &p.tag);
	json_free(&j);
	if (r == 0 && (r = chain(rd, id, &ids, &n)) == 0)
		r = build(rd, &p, ids, n);
	free(ids);
	if (r < 0) {
		plan_free(&p);
		return r;
	}
	*out = p;
	return 1;
}
