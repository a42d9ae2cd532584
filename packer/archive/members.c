/* SPDX-License-Identifier: Apache-2.0 */
/*
 * members.c: the outer archive's index, its members by name. Both kinds of
 * outer archive fill it in their first pass (outer.c from tar headers,
 * dir.c from a walk of the directory), and every reader looks members up
 * here. Open addressing on a power-of-two table kept at most half full;
 * members are allocated one by one, so a pointer to one stays valid while
 * the index grows (PK_MAX_MEMBERS bounds it).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"
#include "vec.h"

static size_t name_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

struct member *outer_find(struct outer *o, const char *name)
{
	if (!o->hcap)
		return NULL;
	for (size_t i = name_hash(name) & (o->hcap - 1); o->hash[i]; i = (i + 1) & (o->hcap - 1))
		if (!strcmp(o->m[o->hash[i] - 1]->name, name))
			return o->m[o->hash[i] - 1];
	return NULL;
}

static int index_grow(struct outer *o)
{
	if (vec_reserve(&o->m, &o->cap, o->n + 1, sizeof *o->m, 64) < 0)
		return -ENOMEM;
	if ((o->n + 1) * 2 <= o->hcap)
		return 0;
	size_t hcap = o->hcap ? o->hcap * 2 : 128;
	size_t *h = calloc(hcap, sizeof *h);
	if (!h)
		return -ENOMEM;
	free(o->hash);
	o->hash = h;
	o->hcap = hcap;
	for (size_t k = 0; k < o->n; k++) {
		size_t i = name_hash(o->m[k]->name) & (hcap - 1);
		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = k + 1;
	}
	return 0;
}

struct member *outer_member_new(struct outer *o, const char *name, uint8_t type, const char *link)
{
	struct member *m = calloc(1, sizeof *m);
	if (!m || index_grow(o) < 0 || !(m->name = strdup(name)) || (link && !(m->link = strdup(link)))) {
		if (m)
			free(m->name), free(m->link);
		free(m);
		return NULL;
	}
	m->type = type;
	o->m[o->n++] = m;
	size_t i = name_hash(name) & (o->hcap - 1);
	while (o->hash[i])
		i = (i + 1) & (o->hcap - 1);
	o->hash[i] = o->n;
	return m;
}

int outer_add(struct outer *o, const char *name, int type, const char *link, const void *data, size_t size)
{
	char clean[PATH_MAX];
	if (path_clean(name, clean, sizeof clean) < 0 || !clean[0] || outer_find(o, clean))
		return -EINVAL;
	struct member *m = outer_member_new(o, clean, (uint8_t)type, link);
	if (!m || !(m->data = calloc(1, size + 1)))
		return -ENOMEM;
	memcpy(m->data, data, size);
	m->size = size;
	sha256_hex(data, size, m->sha);
	return 0;
}

void members_free(struct outer *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->m[i]->name);
		free(o->m[i]->link);
		free(o->m[i]->data);
		free(o->m[i]);
	}
	free(o->m);
	free(o->hash);
}
