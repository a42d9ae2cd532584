/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pathset.c: a set of strings (open addressing, FNV-1a), used per layer to
 * remember which paths the layer itself wrote: a whiteout only hides what
 * lower layers made (OCI image spec, "Whiteouts").
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layer/pathset.h"

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

void pathset_init(struct pathset *s)
{
	*s = (struct pathset){ 0 };
}

void pathset_clear(struct pathset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->slot[i]);
		s->slot[i] = NULL;
	}
	s->n = 0;
}

void pathset_free(struct pathset *s)
{
	pathset_clear(s);
	free(s->slot);
	pathset_init(s);
}

static size_t find(const struct pathset *s, const char *p, size_t n)
{
	size_t i = hash(p, n) & (s->cap - 1);
	while (s->slot[i] && !(strlen(s->slot[i]) == n && !memcmp(s->slot[i], p, n)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(struct pathset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	char **old = s->slot;
	size_t oldcap = s->cap;
	s->slot = calloc(cap, sizeof *s->slot);
	if (!s->slot) {
		s->slot = old;
		return -ENOMEM;
	}
	s->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			s->slot[find(s, old[i], strlen(old[i]))] = old[i];
	free(old);
	return 0;
}

int pathset_add(struct pathset *s, const char *p, size_t n)
{
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -ENOMEM;
	size_t i = find(s, p, n);
	if (s->slot[i])
		return 0;
	if (!(s->slot[i] = strndup(p, n)))
		return -ENOMEM;
	s->n++;
	return 1;
}

bool pathset_has(const struct pathset *s, const char *p, size_t n)
{
	return s->cap && s->slot[find(s, p, n)] != NULL;
}
