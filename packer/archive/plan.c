/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plan.c: steps shared by the docker, OCI and legacy readers: JSON members,
 * member references, the layer list, and the checks every plan passes
 * (platform, layer count against rootfs.diff_ids).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"
#include "vec.h"

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->layers[i].name);
	free(p->layers);
	free(p->tag);
	imgcfg_free(&p->cfg);
	*p = (struct plan){ 0 };
}

int plan_layer_add(struct plan *p, const char *name, struct member *m, const char *raw, uint64_t size)
{
	if (p->n >= PK_MAX_LAYERS)
		return -E2BIG;
	if (vec_grow(&p->layers, p->n, sizeof *p->layers))
		return -ENOMEM;
	struct plan_layer *l = p->layers + p->n;
	*l = (struct plan_layer){ .m = m, .size = size };
	if (!(l->name = strdup(name)))
		return -ENOMEM;
	snprintf(l->raw, sizeof l->raw, "%s", raw ? raw : "");
	p->n++;
	return 0;
}

void tags_add(char *list, size_t cap, const char *tag)
{
	size_t n = strlen(list);
	if (n + 8 >= cap)
		return;
	snprintf(list + n, cap - n, "%s%s", n ? ", " : "", pq(tag));
	if (strlen(list) + 8 >= cap)
		strcpy(list + cap - 8, ", ...");
}

int member_json(struct reader *rd, struct member *m, const char *what, struct json *j)
{
	int r = outer_fetch(&rd->o, m, PK_JSON_MAX, rd->err);
	if (r < 0)
		return r;
	if (json_parse_alloc(j, (const char *)m->data, m->size) < 0)
		return qerr_set(rd->err, EINVAL, "%s: %s %s is not valid JSON", pq(rd->o.shown), what, pq(m->name));
	return 0;
}

int member_ref(struct reader *rd, const char *from, const char *ref, const char *what, bool final, struct member **m)
{
	int r = outer_lookup(&rd->o, "", ref, m, rd->err);
	if (r == -EXDEV)
		return qerr_set(rd->err, EXDEV, "%s: %s: %s path \"%s\" escapes the archive", pq(rd->o.shown), from, what, pq(ref));
	if (r == -ENOENT && !final)
		return 1;
	if (r == -ENOENT)
		return qerr_set(rd->err, ENOENT, "%s: %s: %s \"%s\" is not in the archive", pq(rd->o.shown), from, what, pq(ref));
	if (r == -ELOOP)
		return qerr_set(rd->err, ELOOP, "%s: %s: %s \"%s\": too many links", pq(rd->o.shown), from, what, pq(ref));
	if (r < 0)
		return qerr_set(rd->err, EINVAL, "%s: %s: %s \"%s\" is not a file", pq(rd->o.shown), from, what, pq(ref));
	return 0;
}

int plan_check(struct reader *rd, struct plan *p, const char *what)
{
	struct platform *have = &p->cfg.plat;
	char h[100], w[100];
	platform_format(&rd->want, w, sizeof w);
	if (have->arch[0] && !rd->any && !platform_match(&rd->want, have)) {
		platform_format(have, h, sizeof h);
		return qerr_set(rd->err, ENOEXEC, "%s: the image is %s, not %s (--platform %s unpacks it anyway)",
				pq(rd->o.shown), pq(h), w, pq(h));
	}
	if (p->cfg.has_rootfs && p->cfg.n_diff_ids != p->n)
		return qerr_set(rd->err, EINVAL, "%s: %s lists %zu layers, the config's rootfs.diff_ids %zu",
				pq(rd->o.shown), what, p->n, p->cfg.n_diff_ids);
	for (size_t i = 0; p->cfg.has_rootfs && i < p->n; i++)
		memcpy(p->layers[i].diff_id, p->cfg.diff_ids[i], HEX64);
	return 0;
}

uint64_t plan_bytes(const struct plan *p)
{
	uint64_t t = 0;
	for (size_t i = 0; i < p->n; i++)
		t += p->layers[i].m ? p->layers[i].m->size : p->layers[i].size != UINT64_MAX ? p->layers[i].size : 0;
	return t;
}
