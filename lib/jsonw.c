/* SPDX-License-Identifier: Apache-2.0 */
/* jsonw.c: the JSON writer (see json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vec.h"

void jw_init(struct jw *w)
{
	*w = (struct jw){ 0 };
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (vec_reserve(&w->buf, &w->cap, w->len + n + 1, 1, 256) < 0) {
		w->err = -ENOMEM;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value or key: the comma, unless first or right after a key. */
static void item(struct jw *w)
{
	uint64_t bit = 1ull << w->depth;
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->has_item & bit)
		put(w, ",", 1);
	w->has_item |= bit;
}

static void open_level(struct jw *w, char c, int obj)
{
	item(w);
	put(w, &c, 1);
	if (w->depth >= 63) {
		w->err = -EINVAL;
		return;
	}
	w->depth++;
	uint64_t bit = 1ull << w->depth;
	w->has_item &= ~bit;
	w->in_obj = obj ? w->in_obj | bit : w->in_obj & ~bit;
}

void jw_obj(struct jw *w) { open_level(w, '{', 1); }
void jw_arr(struct jw *w) { open_level(w, '[', 0); }

void jw_end(struct jw *w)
{
	if (w->depth == 0 || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	put(w, (w->in_obj >> w->depth) & 1 ? "}" : "]", 1);
	w->depth--;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	item(w);
	put(w, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		char esc[8];
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\t': put(w, "\\t", 2); break;
		case '\r': put(w, "\\r", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(w, esc, 6);
		}
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	item(w);
	put(w, json, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_keyn(struct jw *w, const char *key, size_t n)
{
	if (!((w->in_obj >> w->depth) & 1) || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	jw_strn(w, key, n);
	put(w, ":", 1);
	w->after_key = true;
}

void jw_key(struct jw *w, const char *key)
{
	jw_keyn(w, key, strlen(key));
}

void jw_int(struct jw *w, int64_t v)
{
	char b[24];
	item(w);
	put(w, b, (size_t)snprintf(b, sizeof b, "%" PRId64, v));
}

void jw_bool(struct jw *w, bool v)
{
	item(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	item(w);
	put(w, "null", 4);
}

void jw_kv_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		jw_str(w, s);
	else
		jw_null(w);
}

void jw_kv_strv(struct jw *w, const char *key, char *const *v)
{
	jw_key(w, key);
	if (!v) {
		jw_null(w);
		return;
	}
	jw_arr(w);
	for (; *v; v++)
		jw_str(w, *v);
	jw_end(w);
}

void jw_kv_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kv_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

int jw_done(struct jw *w, const char **out, size_t *len)
{
	if (!w->err && (w->depth || w->after_key))
		w->err = -EINVAL;
	if (w->err)
		return w->err;
	*out = w->buf ? w->buf : "";
	*len = w->len;
	return 0;
}
