/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doc.c: reading a control payload: a parsed JSON document and the checked
 * getters every message reader uses (doc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

static struct {
	struct json_tok *t;
	uint32_t cap;
	bool busy; /* a doc has it (docs may not nest: the second allocates) */
} space;

void qp_payload_space(struct json_tok *t, uint32_t cap)
{
	space.t = t;
	space.cap = cap;
}

int doc_open(struct doc *d, const uint8_t *buf, size_t n, struct qerr *err)
{
	d->err = err;
	/* json_parse_alloc's bound: any valid text of n bytes fits n / 2 + 2. */
	bool fits = space.t && !space.busy && n / 2 + 2 <= space.cap;
	int r = fits ? json_parse(&d->j, (const char *)buf, n, space.t, space.cap)
		     : json_parse_alloc(&d->j, (const char *)buf, n);
	if (r < 0)
		return qerr_set(err, EINVAL, "payload is not valid JSON");
	space.busy |= fits;
	if (d->j.t[0].type != JSON_OBJECT) {
		doc_close(d);
		return qerr_set(err, EINVAL, "payload is not a JSON object");
	}
	return 0;
}

void doc_close(struct doc *d)
{
	if (space.t && d->j.t == space.t)
		space.busy = false;
	json_free(&d->j);
}

/* Optional string field: *out stays NULL when absent. */
int get_str(struct doc *d, int obj, const char *key, char **out)
{
	int v = json_get(&d->j, obj, key);
	*out = NULL;
	if (v < 0 || d->j.t[v].type == JSON_NULL)
		return 0;
	if (!(*out = json_strdup(&d->j, v)))
		return qerr_set(d->err, EINVAL, "\"%s\" is not a string without NUL", key);
	return 0;
}

int get_u64(struct doc *d, int obj, const char *key, uint64_t max, uint64_t *out)
{
	int64_t v = 0;
	int idx = json_get(&d->j, obj, key);
	*out = 0;
	if (idx < 0)
		return 0;
	if (json_int(&d->j, idx, &v) < 0 || v < 0 || (uint64_t)v > max)
		return qerr_set(d->err, EINVAL, "\"%s\" is not an integer in 0..%llu", key,
				(unsigned long long)max);
	*out = (uint64_t)v;
	return 0;
}

int get_bool(struct doc *d, int obj, const char *key, bool *out)
{
	int idx = json_get(&d->j, obj, key);
	*out = false;
	if (idx >= 0 && json_bool(&d->j, idx, out) < 0)
		return qerr_set(d->err, EINVAL, "\"%s\" is not a boolean", key);
	return 0;
}

int get_array(struct doc *d, int obj, const char *key, uint32_t max, size_t size, void **out, int *arr)
{
	*out = NULL;
	*arr = json_get(&d->j, obj, key);
	if (*arr < 0)
		return 0;
	if (json_type(&d->j, *arr) != JSON_ARRAY || d->j.t[*arr].size > max)
		return qerr_set(d->err, EINVAL, "\"%s\" must be an array of at most %u entries", key, max);
	if (!(*out = calloc(d->j.t[*arr].size + 1, size)))
		return qerr_set(d->err, ENOMEM, "out of memory");
	return 0;
}

int get_strv(struct doc *d, int obj, const char *key, uint32_t max, char ***out)
{
	int arr, e = get_array(d, obj, key, max, sizeof **out, (void **)out, &arr);
	if (e || !*out)
		return e;
	uint32_t k;
	int it;
	JSON_EACH(&d->j, arr, it, k)
		if (!((*out)[k] = json_strdup(&d->j, it))) {
			free_vec(*out);
			*out = NULL;
			return qerr_set(d->err, EINVAL, "%s[%u] is not a string without NUL", key, k);
		}
	return 0;
}

void free_vec(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

int abs_path_ok(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *c = p; (c = strstr(c, "/..")); c += 3)
		if (c[3] == '/' || c[3] == '\0')
			return 0;
	return 1;
}

/* Characters a hosts(5) name or an address may hold: nothing that could
 * break a line of /etc/hosts or resolv.conf. */
bool word_ok(const char *s, const char *extra)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s)))
			return false;
	return true;
}

bool qp_id_ok(const char *id)
{
	size_t n = strlen(id);
	return n && n < QP_ID_MAX && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}
