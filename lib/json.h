/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h: a strict, bounded JSON reader (RFC 8259) that tokenizes into a flat
 * array, and a small writer. Both sides use it: control-channel payloads are
 * JSON, and so are image manifests, indexes and configs.
 *
 * Reading: json_parse() validates the whole text and fills tokens in document
 * order. A container token is followed by its children; in an object each key
 * (a string token) is followed by its value. Every token knows the index just
 * past its subtree (.next), so siblings are walked without recursion. Limits:
 * depth JSON_MAX_DEPTH, token count given by the caller, lengths < 4 GiB.
 * Strings keep their escaped form until a json_str*() call decodes them;
 * decoded strings never contain NUL (an escaped \u0000 is refused there).
 */
#ifndef QPOD_JSON_H
#define QPOD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_tok {
	uint8_t type;     /* enum json_type */
	uint32_t start;   /* offset of the text; for strings, just inside the quote */
	uint32_t len;     /* length of the text (escaped form for strings) */
	uint32_t size;    /* arrays: elements; objects: key/value pairs */
	uint32_t next;    /* index of the token after this one's subtree */
};

struct json {
	const char *src;
	size_t n;
	struct json_tok *t;
	uint32_t count, cap;
	bool owned;       /* t was allocated by json_parse_alloc */
};

/* Parse src[0..n) into caller-provided tokens. Returns the token count, or
 * -EINVAL (malformed), -ENOMEM (more than cap tokens), -E2BIG (too deep or long). */
int json_parse(struct json *j, const char *src, size_t n, struct json_tok *toks, uint32_t cap);
/* Same, with a token array sized for any valid text of length n. */
int json_parse_alloc(struct json *j, const char *src, size_t n);
void json_free(struct json *j);

/* Index of the value of key in object obj, or -1 (also when obj is not an object). */
int json_get(const struct json *j, int obj, const char *key);
/* Index of element i of array arr, or -1. */
int json_at(const struct json *j, int arr, uint32_t i);
int json_type(const struct json *j, int idx); /* -1 for a bad index */

/* Walk children: arrays yield elements, objects yield keys (value = key + 1). */
#define JSON_EACH(j, parent, it, k) \
	for ((k) = 0, (it) = (parent) + 1; (k) < (j)->t[parent].size; \
	     (k)++, (it) = (j)->t[(j)->t[parent].type == JSON_OBJECT ? (it) + 1 : (it)].next)

/* Decode string token idx into buf (NUL-terminated). Returns its length, or
 * -EINVAL (not a string, or has \u0000), -ERANGE (does not fit in cap). */
int json_str(const struct json *j, int idx, char *buf, size_t cap);
/* Decoded copy on the heap, or NULL (not a string, NUL inside, or no memory). */
char *json_strdup(const struct json *j, int idx);
/* True when idx is a string equal to s after decoding. */
bool json_eq(const struct json *j, int idx, const char *s);
/* Integer value of a number token without fraction/exponent. 0 or -EINVAL/-ERANGE. */
int json_int(const struct json *j, int idx, int64_t *out);
int json_bool(const struct json *j, int idx, bool *out);

/* Writer: appends to a growing buffer; commas are placed automatically. The
 * first allocation failure sticks in .err and later calls do nothing. */
struct jw {
	char *buf;
	size_t len, cap;
	int err;
	int depth;
	uint64_t in_obj;    /* bit d: level d is an object */
	uint64_t has_item;  /* bit d: level d already holds an item */
	bool after_key;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_obj(struct jw *w);
void jw_arr(struct jw *w);
void jw_end(struct jw *w);              /* closes the innermost object or array */
void jw_key(struct jw *w, const char *key);
void jw_keyn(struct jw *w, const char *key, size_t n);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A value that is already JSON (the caller parsed it), as it is. */
void jw_raw(struct jw *w, const char *json, size_t n);
/* key + value in one call; a NULL string or vector is written as null. */
void jw_kv_str(struct jw *w, const char *key, const char *s);
void jw_kv_strv(struct jw *w, const char *key, char *const *v);
void jw_kv_int(struct jw *w, const char *key, int64_t v);
void jw_kv_bool(struct jw *w, const char *key, bool v);
/* Finish: 0 with out and len set (buffer stays owned by w), or -ENOMEM/-EINVAL. */
int jw_done(struct jw *w, const char **out, size_t *len);

#endif
