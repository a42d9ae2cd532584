/* SPDX-License-Identifier: Apache-2.0 */
/* json.c: strict JSON tokenizer, accessors and writer (see json.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	struct json *j;
	size_t pos;
	int err;
};

static void skip_ws(struct parser *p)
{
	const char *s = p->j->src;
	while (p->pos < p->j->n && (s[p->pos] == ' ' || s[p->pos] == '\t' ||
				    s[p->pos] == '\n' || s[p->pos] == '\r'))
		p->pos++;
}

static int peek(struct parser *p)
{
	return p->pos < p->j->n ? (unsigned char)p->j->src[p->pos] : -1;
}

static int new_tok(struct parser *p, enum json_type type, size_t start)
{
	struct json *j = p->j;
	if (j->count >= j->cap)
		return -ENOMEM;
	struct json_tok *t = &j->t[j->count];
	t->type = (uint8_t)type;
	t->start = (uint32_t)start;
	t->len = t->size = 0;
	t->next = j->count + 1;
	return (int)j->count++;
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int scan_string(struct parser *p)
{
	const char *s = p->j->src;
	size_t n = p->j->n, start = ++p->pos; /* past the quote */
	while (p->pos < n) {
		unsigned char c = (unsigned char)s[p->pos];
		if (c == '"') {
			int t = new_tok(p, JSON_STRING, start);
			if (t < 0)
				return t;
			p->j->t[t].len = (uint32_t)(p->pos - start);
			p->pos++;
			return t;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			if (++p->pos >= n)
				return -EINVAL;
			c = (unsigned char)s[p->pos];
			if (c == 'u') {
				if (n - p->pos < 5)
					return -EINVAL;
				for (int i = 1; i <= 4; i++)
					if (!is_hex(s[p->pos + i]))
						return -EINVAL;
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c)) {
				return -EINVAL;
			}
		}
		p->pos++;
	}
	return -EINVAL;
}

static size_t digits(struct parser *p)
{
	size_t start = p->pos;
	while (peek(p) >= '0' && peek(p) <= '9')
		p->pos++;
	return p->pos - start;
}

static int scan_number(struct parser *p)
{
	size_t start = p->pos;
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (!digits(p))
		return -EINVAL;
	if (peek(p) == '.') {
		p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	int t = new_tok(p, JSON_NUMBER, start);
	if (t >= 0)
		p->j->t[t].len = (uint32_t)(p->pos - start);
	return t;
}

static int scan_word(struct parser *p, const char *word, enum json_type type)
{
	size_t len = strlen(word);
	if (p->j->n - p->pos < len || memcmp(p->j->src + p->pos, word, len))
		return -EINVAL;
	int t = new_tok(p, type, p->pos);
	if (t >= 0)
		p->j->t[t].len = (uint32_t)len;
	p->pos += len;
	return t;
}

static int scan_value(struct parser *p, int depth);

/* Array or object body: elements (or key:value pairs) until the closer. */
static int scan_container(struct parser *p, int depth, int is_obj)
{
	int t = new_tok(p, is_obj ? JSON_OBJECT : JSON_ARRAY, p->pos);
	if (t < 0)
		return t;
	size_t start = p->pos++;
	char close = is_obj ? '}' : ']';
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
	} else {
		for (;;) {
			int r;
			if (is_obj) {
				skip_ws(p);
				if (peek(p) != '"')
					return -EINVAL;
				if ((r = scan_string(p)) < 0)
					return r;
				skip_ws(p);
				if (peek(p) != ':')
					return -EINVAL;
				p->pos++;
			}
			if ((r = scan_value(p, depth + 1)) < 0)
				return r;
			p->j->t[t].size++;
			skip_ws(p);
			if (peek(p) == ',') {
				p->pos++;
				continue;
			}
			if (peek(p) != close)
				return -EINVAL;
			p->pos++;
			break;
		}
	}
	p->j->t[t].len = (uint32_t)(p->pos - start);
	p->j->t[t].next = p->j->count;
	return t;
}

static int scan_value(struct parser *p, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return -E2BIG;
	skip_ws(p);
	switch (peek(p)) {
	case '{': return scan_container(p, depth, 1);
	case '[': return scan_container(p, depth, 0);
	case '"': return scan_string(p);
	case 't': return scan_word(p, "true", JSON_BOOL);
	case 'f': return scan_word(p, "false", JSON_BOOL);
	case 'n': return scan_word(p, "null", JSON_NULL);
	default: return scan_number(p);
	}
}

int json_parse(struct json *j, const char *src, size_t n, struct json_tok *toks, uint32_t cap)
{
	*j = (struct json){ .src = src, .n = n, .t = toks, .cap = cap };
	if (n >= UINT32_MAX)
		return -E2BIG;
	struct parser p = { .j = j };
	int r = scan_value(&p, 0);
	if (r < 0)
		return r;
	skip_ws(&p);
	if (p.pos != n)
		return -EINVAL;
	return (int)j->count;
}

int json_parse_alloc(struct json *j, const char *src, size_t n)
{
	/* Every token but the last takes at least two bytes ("1," or "[]"). */
	size_t cap = n / 2 + 2;
	if (n >= UINT32_MAX)
		return -E2BIG;
	struct json_tok *t = malloc(cap * sizeof *t);
	if (!t)
		return -ENOMEM;
	int r = json_parse(j, src, n, t, (uint32_t)cap);
	j->owned = true;
	if (r < 0)
		json_free(j);
	return r;
}

void json_free(struct json *j)
{
	if (j->owned)
		free(j->t);
	j->t = NULL;
	j->count = j->cap = 0;
	j->owned = false;
}

int json_type(const struct json *j, int idx)
{
	return idx >= 0 && (uint32_t)idx < j->count ? j->t[idx].type : -1;
}

int json_get(const struct json *j, int obj, const char *key)
{
	uint32_t k;
	int it;
	if (json_type(j, obj) != JSON_OBJECT)
		return -1;
	JSON_EACH(j, obj, it, k)
		if (json_eq(j, it, key))
			return it + 1;
	return -1;
}

int json_at(const struct json *j, int arr, uint32_t i)
{
	uint32_t k;
	int it;
	if (json_type(j, arr) != JSON_ARRAY || i >= j->t[arr].size)
		return -1;
	JSON_EACH(j, arr, it, k)
		if (k == i)
			return it;
	return -1;
}

static unsigned hexval(const char *s)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode one escape at s (just past the backslash; the tokenizer checked its
 * shape). Writes up to 4 bytes to out, returns the input bytes consumed or
 * -EINVAL for \u0000. */
static int unescape(const char *s, const char *end, char *out, size_t *outlen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (*s != 'u') {
		*out = to[strchr(from, *s) - from];
		*outlen = 1;
		return 1;
	}
	unsigned cp = hexval(s + 1);
	int used = 5;
	if (cp == 0)
		return -EINVAL;
	if (cp >= 0xd800 && cp < 0xdc00 && end - s >= 11 && s[5] == '\\' && s[6] == 'u') {
		unsigned lo = hexval(s + 7);
		if (lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			used = 11;
		}
	}
	if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd; /* lone surrogate */
	*outlen = put_utf8(out, cp);
	return used;
}

int json_str(const struct json *j, int idx, char *buf, size_t cap)
{
	if (json_type(j, idx) != JSON_STRING || cap == 0)
		return -EINVAL;
	const char *s = j->src + j->t[idx].start, *end = s + j->t[idx].len;
	size_t o = 0;
	while (s < end) {
		char tmp[4];
		size_t n = 1;
		if (*s == '\\') {
			int used = unescape(s + 1, end, tmp, &n);
			if (used < 0)
				return used;
			s += used + 1;
		} else {
			tmp[0] = *s++;
		}
		if (o + n >= cap)
			return -ERANGE;
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o] = '\0';
	return (int)o;
}

char *json_strdup(const struct json *j, int idx)
{
	if (json_type(j, idx) != JSON_STRING)
		return NULL;
	/* Decoding never grows the text, so len + 1 always fits. */
	size_t cap = (size_t)j->t[idx].len + 1;
	char *s = malloc(cap);
	if (s && json_str(j, idx, s, cap) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

bool json_eq(const struct json *j, int idx, const char *s)
{
	if (json_type(j, idx) != JSON_STRING)
		return false;
	size_t want = strlen(s);
	const struct json_tok *t = &j->t[idx];
	if (!memchr(j->src + t->start, '\\', t->len))
		return want == t->len && !memcmp(j->src + t->start, s, want);
	if (want > t->len) /* decoding never grows a string */
		return false;
	char *d = json_strdup(j, idx);
	bool eq = d && !strcmp(d, s);
	free(d);
	return eq;
}

int json_int(const struct json *j, int idx, int64_t *out)
{
	if (json_type(j, idx) != JSON_NUMBER)
		return -EINVAL;
	const char *s = j->src + j->t[idx].start;
	uint32_t len = j->t[idx].len;
	bool neg = s[0] == '-';
	uint64_t v = 0;
	for (uint32_t i = neg; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL; /* fraction or exponent */
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int json_bool(const struct json *j, int idx, bool *out)
{
	if (json_type(j, idx) != JSON_BOOL)
		return -EINVAL;
	*out = j->src[j->t[idx].start] == 't';
	return 0;
}
