/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format.c: docker's --format templates, the subset in format.h: a template
 * compiles to text and actions; an action is a short pipeline of commands
 * (a path or literal, or a function and its arguments), evaluated against a
 * parsed JSON value and printed as Go's text/template prints it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "format.h"
#include "vec.h"
#include "when.h"

#define MAX_ARGS 3
#define MAX_PIPE 3

enum fn { F_NONE, F_JSON, F_LEN, F_UPPER, F_LOWER, F_INDEX, F_JOIN };
static const struct { const char *name; enum fn fn; int nargs; } fns[] = {
	{ "json", F_JSON, 1 }, { "len", F_LEN, 1 }, { "upper", F_UPPER, 1 }, { "lower", F_LOWER, 1 },
	{ "index", F_INDEX, 2 }, { "join", F_JOIN, 2 },
};

struct arg {
	enum { A_PATH, A_STR, A_INT } k;
	char *s;                 /* a path without its first '.', or a string */
	int64_t n;
};

struct cmd {
	enum fn fn;
	int nargs;
	struct arg a[MAX_ARGS];
};

struct node {
	char *text;              /* literal text, or NULL for an action */
	struct cmd c[MAX_PIPE];
	int nc;
};

struct fmt {
	bool table;
	struct node *n;
	size_t nn;
};

/* ---- compiling ---------------------------------------------------------------- */

static int refuse(char *why, size_t cap, const char *fmt, const char *what)
{
	snprintf(why, cap, fmt, what);
	return -EINVAL;
}

static struct node *add_node(struct fmt *f)
{
	if (vec_grow(&f->n, f->nn, sizeof *f->n))
		return NULL;
	memset(&f->n[f->nn], 0, sizeof *f->n);
	return &f->n[f->nn++];
}

/* Literal text with \t and \n turned into a tab and a newline. */
static int add_text(struct fmt *f, const char *s, size_t n)
{
	if (!n)
		return 0;
	struct node *nd = add_node(f);
	char *t = nd ? malloc(n + 1) : NULL;
	if (!t)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n'))
			t[k++] = s[++i] == 't' ? '\t' : '\n';
		else
			t[k++] = s[i];
	}
	t[k] = '\0';
	nd->text = t;
	return 0;
}

/* The next word of an action: a quoted string, "|", or up to a space. */
static const char *word(const char **p, const char *end, size_t *len)
{
	while (*p < end && **p == ' ')
		(*p)++;
	const char *w = *p;
	if (w == end)
		return NULL;
	if (*w == '"' || *w == '`') {
		const char *q = w + 1;
		while (q < end && *q != *w)
			q += *q == '\\' && *w == '"' && q + 1 < end ? 2 : 1;
		*p = q < end ? q + 1 : end;
	} else if (*w == '|') {
		*p = w + 1;
	} else {
		while (*p < end && **p != ' ' && **p != '|')
			(*p)++;
	}
	*len = (size_t)(*p - w);
	return w;
}

static int parse_arg(const char *w, size_t n, struct arg *a, char *why, size_t cap)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)(n < 60 ? n : 60), w);
	if (*w == '.') {
		for (size_t i = 1; i < n; i++)
			if (!w[i] || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", w[i]) ||
			    (w[i] == '.' && (i == 1 || w[i - 1] == '.' || i == n - 1)))
				return refuse(why, cap, "%s is not a field path", buf);
		a->k = A_PATH;
		a->s = strndup(w + 1, n - 1);
		return a->s ? 0 : -ENOMEM;
	}
	if ((*w == '"' || *w == '`') && n >= 2 && w[n - 1] == *w) {
		a->k = A_STR;
		if (!(a->s = malloc(n)))
			return -ENOMEM;
		size_t k = 0;
		for (size_t i = 1; i < n - 1; i++) {
			if (*w == '"' && w[i] == '\\' && i + 1 < n - 1) {
				i++;
				a->s[k++] = w[i] == 'n' ? '\n' : w[i] == 't' ? '\t' : w[i];
			} else {
				a->s[k++] = w[i];
			}
		}
		a->s[k] = '\0';
		return 0;
	}
	char *e;
	a->k = A_INT;
	a->n = strtoll(buf, &e, 10);
	if ((*w >= '0' && *w <= '9') && !*e && n < 60)
		return 0;
	if (*w == '$' || *w == '(')
		return refuse(why, cap, "%s: variables and parentheses are not supported", buf);
	return refuse(why, cap, "%s is not supported (fields, strings, json, index, len, join, upper, lower)", buf);
}

/* One command: FUNC ARG... or a lone argument; piped: the value comes last. */
static int parse_cmd(const char **p, const char *end, struct cmd *c, bool piped, char *why, size_t cap)
{
	size_t n;
	const char *w = word(p, end, &n);
	if (!w || *w == '|')
		return refuse(why, cap, "%s", "an empty command in a {{...}}");
	int want = 1 - piped, e;
	if (*w != '.' && *w != '"' && *w != '`' && !(*w >= '0' && *w <= '9')) {
		size_t i;
		for (i = 0; i < sizeof fns / sizeof *fns; i++)
			if (strlen(fns[i].name) == n && !strncmp(fns[i].name, w, n))
				break;
		char name[40];
		snprintf(name, sizeof name, "%.*s", (int)(n < 30 ? n : 30), w);
		if (i == sizeof fns / sizeof *fns)
			return refuse(why, cap, "{{%s}} is not supported (fields, json, index, len, join, upper, lower, table)",
				      name);
		c->fn = fns[i].fn;
		want = fns[i].nargs - piped;
	} else {
		*p = w; /* an argument: read it again below */
		if (piped)
			return refuse(why, cap, "%s", "only a function may follow |");
	}
	for (c->nargs = 0; c->nargs < want; c->nargs++) {
		const char *save = *p;
		if (!(w = word(p, end, &n)) || *w == '|') {
			*p = save;
			break;
		}
		if ((e = parse_arg(w, n, &c->a[c->nargs], why, cap)))
			return e;
	}
	const char *save = *p;
	if (c->nargs != want || ((w = word(p, end, &n)) && *w != '|'))
		return refuse(why, cap, "%s", "wrong number of arguments in a {{...}}");
	*p = save;
	return 0;
}

static int parse_action(struct fmt *f, const char *s, size_t n, char *why, size_t cap)
{
	const char *p = s, *end = s + n;
	size_t wl;
	struct node *nd = add_node(f);
	if (!nd)
		return -ENOMEM;
	for (;;) {
		if (nd->nc == MAX_PIPE)
			return refuse(why, cap, "%s", "a pipeline of more than 3 commands");
		int e = parse_cmd(&p, end, &nd->c[nd->nc], nd->nc > 0, why, cap);
		nd->nc++; /* counted even when it failed: fmt_free frees what it holds */
		if (e)
			return e;
		const char *w = word(&p, end, &wl);
		if (!w)
			return 0;
		if (*w != '|')
			return refuse(why, cap, "%s", "unexpected words in a {{...}}");
	}
}

static void free_nodes(struct fmt *f)
{
	for (size_t i = 0; i < f->nn; i++) {
		free(f->n[i].text);
		for (int c = 0; c < f->n[i].nc; c++)
			for (int a = 0; a < f->n[i].c[c].nargs; a++)
				free(f->n[i].c[c].a[a].s);
	}
	free(f->n);
}

void fmt_free(struct fmt *f)
{
	if (f) {
		free_nodes(f);
		free(f);
	}
}

struct fmt *fmt_compile(const char *text, char *why, size_t cap)
{
	struct fmt *f = calloc(1, sizeof *f);
	if (!f)
		return snprintf(why, cap, "out of memory"), NULL;
	if (!strncmp(text, "table", 5) && (!text[5] || text[5] == ' ')) {
		f->table = true;
		text += 5;
		while (*text == ' ')
			text++;
	}
	int e = 0;
	for (const char *p = text; !e && *p;) {
		const char *open = strstr(p, "{{");
		if (!open) {
			e = add_text(f, p, strlen(p));
			break;
		}
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			e = refuse(why, cap, "%s", "an unclosed {{");
			break;
		}
		const char *a = open + 2, *b = close;
		if (*a == '-' && a[1] == ' ') /* {{- trims the text before it */
			for (a++; open > p && strchr(" \t\n", open[-1]); open--)
				;
		bool trim_after = b - a >= 2 && b[-1] == '-' && b[-2] == ' ';
		if (trim_after)
			b--;
		if (!(e = add_text(f, p, (size_t)(open - p))))
			e = parse_action(f, a, (size_t)(b - a), why, cap);
		p = close + 2;
		while (trim_after && *p && strchr(" \t\n", *p))
			p++;
	}
	if (e) {
		if (e == -ENOMEM)
			snprintf(why, cap, "out of memory");
		fmt_free(f);
		return NULL;
	}
	return f;
}

bool fmt_is_table(const struct fmt *f)
{
	return f->table;
}

/* ---- values ------------------------------------------------------------------- */

struct val {
	enum { V_JSON, V_STR, V_INT } k;
	int idx;                 /* V_JSON */
	const char *key;         /* V_JSON: the key it was found under (durations) */
	size_t keylen;
	char *s;                 /* V_STR, owned */
	int64_t n;               /* V_INT */
};

struct ctx {
	const struct json *j;
	FILE *out;
	char *why;
	size_t cap;
};

static int missing(struct ctx *c, const char *key, size_t n)
{
	snprintf(c->why, c->cap, "template: map has no entry for key \"%.*s\"", (int)(n < 80 ? n : 80), key);
	return -EINVAL;
}

/* A path from idx: each component a key of an object. */
static int walk(struct ctx *c, int idx, const char *path, struct val *v)
{
	*v = (struct val){ .k = V_JSON, .idx = idx };
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ".");
		char key[128];
		snprintf(key, sizeof key, "%.*s", (int)(n < 127 ? n : 127), p);
		int next = json_type(c->j, v->idx) == JSON_OBJECT ? json_get(c->j, v->idx, key) : -1;
		if (next < 0)
			return missing(c, p, n);
		v->idx = next;
		v->key = p;
		v->keylen = n;
		p += n + (p[n] == '.');
	}
	return 0;
}

static int arg_val(struct ctx *c, int root, const struct arg *a, struct val *v)
{
	if (a->k == A_PATH)
		return walk(c, root, a->s, v);
	if (a->k == A_INT) {
		*v = (struct val){ .k = V_INT, .n = a->n };
		return 0;
	}
	*v = (struct val){ .k = V_STR, .s = strdup(a->s) };
	return v->s ? 0 : -ENOMEM;
}

static void val_free(struct val *v)
{
	if (v->k == V_STR)
		free(v->s);
	v->s = NULL;
}

/* The text of a value as a string (V_STR), for upper, lower, join. */
static char *val_text(struct ctx *c, const struct val *v)
{
	if (v->k == V_STR)
		return strdup(v->s);
	if (v->k == V_INT) {
		char *s;
		return asprintf(&s, "%" PRId64, v->n) < 0 ? NULL : s;
	}
	if (json_type(c->j, v->idx) == JSON_STRING)
		return json_strdup(c->j, v->idx);
	const struct json_tok *t = &c->j->t[v->idx];
	return strndup(c->j->src + t->start, t->len);
}

static int fn_index(struct ctx *c, struct val *obj, struct val *key, struct val *out)
{
	int t = obj->k == V_JSON ? json_type(c->j, obj->idx) : -1, r = -1;
	if (t == JSON_OBJECT && key->k == V_STR) {
		r = json_get(c->j, obj->idx, key->s);
		if (r < 0) { /* Go: the zero value of a missing key */
			*out = (struct val){ .k = V_STR, .s = strdup("") };
			return out->s ? 0 : -ENOMEM;
		}
	} else if (t == JSON_ARRAY && key->k == V_INT && key->n >= 0 && key->n < (int64_t)c->j->t[obj->idx].size) {
		r = json_at(c->j, obj->idx, (uint32_t)key->n);
	}
	if (r < 0) {
		snprintf(c->why, c->cap, "template: index of a value that has no such key or element");
		return -EINVAL;
	}
	*out = (struct val){ .k = V_JSON, .idx = r, .key = key->k == V_STR ? NULL : obj->key, .keylen = obj->keylen };
	return 0;
}

static int fn_join(struct ctx *c, struct val *arr, struct val *sep, struct val *out)
{
	if (arr->k != V_JSON || json_type(c->j, arr->idx) != JSON_ARRAY || sep->k != V_STR) {
		snprintf(c->why, c->cap, "template: join takes a list of strings and a separator");
		return -EINVAL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	uint32_t k;
	int it;
	if (!m)
		return -ENOMEM;
	JSON_EACH(c->j, arr->idx, it, k) {
		struct val e = { .k = V_JSON, .idx = it };
		char *s = val_text(c, &e);
		fprintf(m, "%s%s", k ? sep->s : "", s ? s : "");
		free(s);
	}
	fclose(m);
	*out = (struct val){ .k = V_STR, .s = buf };
	return buf ? 0 : -ENOMEM;
}

static int apply(struct ctx *c, enum fn fn, struct val *a, int na, struct val *out)
{
	switch (fn) {
	case F_NONE:
		*out = a[0];
		a[0].k = V_INT; /* moved */
		return 0;
	case F_LEN: {
		int t = a[0].k == V_JSON ? json_type(c->j, a[0].idx) : -1;
		char *s = t == JSON_ARRAY || t == JSON_OBJECT ? NULL : val_text(c, &a[0]);
		*out = (struct val){ .k = V_INT, .n = s ? (int64_t)strlen(s) : (int64_t)c->j->t[a[0].idx].size };
		free(s);
		return 0;
	}
	case F_UPPER:
	case F_LOWER: {
		char *s = val_text(c, &a[0]);
		for (char *p = s; p && *p; p++)
			*p = fn == F_UPPER ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
		*out = (struct val){ .k = V_STR, .s = s };
		return s ? 0 : -ENOMEM;
	}
	case F_INDEX: return fn_index(c, &a[0], &a[1], out);
	case F_JOIN: return fn_join(c, &a[0], &a[1], out);
	case F_JSON: /* printed by the caller */
		*out = a[0];
		a[0].k = V_INT;
		return 0;
	}
	return -EINVAL;
}

/* ---- printing ------------------------------------------------------------------ */

static bool is_duration_key(const struct val *v)
{
	static const char *const keys[] = { "Interval", "Timeout", "StartPeriod", "StartInterval" };
	for (size_t i = 0; v->key && i < sizeof keys / sizeof *keys; i++)
		if (strlen(keys[i]) == v->keylen && !strncmp(keys[i], v->key, v->keylen))
			return true;
	return false;
}

static int cmp_keys(const void *a, const void *b, void *j)
{
	char ka[256], kb[256];
	if (json_str(j, *(const int *)a, ka, sizeof ka) < 0)
		*ka = '\0';
	if (json_str(j, *(const int *)b, kb, sizeof kb) < 0)
		*kb = '\0';
	return strcmp(ka, kb);
}

/* As Go's fmt prints a decoded JSON value. */
static void print_go(struct ctx *c, int idx, const struct val *as)
{
	const struct json_tok *t = &c->j->t[idx];
	uint32_t k;
	int it;
	switch (json_type(c->j, idx)) {
	case JSON_STRING: {
		char *s = json_strdup(c->j, idx);
		fputs(s ? s : "", c->out);
		free(s);
		return;
	}
	case JSON_NULL: fputs("<nil>", c->out); return;
	case JSON_NUMBER: {
		int64_t n;
		char d[40];
		if (as && is_duration_key(as) && json_int(c->j, idx, &n) == 0) {
			when_go_duration(n, d, sizeof d);
			fputs(d, c->out);
		} else
			fwrite(c->j->src + t->start, 1, t->len, c->out);
		return;
	}
	case JSON_ARRAY:
		fputc('[', c->out);
		JSON_EACH(c->j, idx, it, k) {
			if (k)
				fputc(' ', c->out);
			print_go(c, it, NULL);
		}
		fputc(']', c->out);
		return;
	case JSON_OBJECT: {
		int *keys = calloc(t->size ? t->size : 1, sizeof *keys);
		if (!keys)
			return;
		JSON_EACH(c->j, idx, it, k)
			keys[k] = it;
		qsort_r(keys, t->size, sizeof *keys, cmp_keys, (void *)c->j);
		fputs("map[", c->out);
		for (k = 0; k < t->size; k++) {
			char key[256];
			fprintf(c->out, "%s%s:", k ? " " : "", json_str(c->j, keys[k], key, sizeof key) < 0 ? "" : key);
			print_go(c, keys[k] + 1, NULL);
		}
		fputc(']', c->out);
		free(keys);
		return;
	}
	default:
		fwrite(c->j->src + t->start, 1, t->len, c->out);
	}
}

static void print_json(struct ctx *c, const struct val *v)
{
	if (v->k == V_INT) {
		fprintf(c->out, "%" PRId64, v->n);
	} else if (v->k == V_STR) {
		struct jw w;
		const char *s;
		size_t n;
		jw_init(&w);
		jw_str(&w, v->s);
		if (jw_done(&w, &s, &n) == 0)
			fwrite(s, 1, n, c->out);
		jw_free(&w);
	} else {
		const struct json_tok *t = &c->j->t[v->idx];
		bool str = json_type(c->j, v->idx) == JSON_STRING;
		fwrite(c->j->src + t->start - str, 1, t->len + 2 * str, c->out);
	}
}

static int run_node(struct ctx *c, int root, const struct node *nd)
{
	struct val cur = { .k = V_INT }, a[MAX_ARGS];
	bool as_json = false;
	int e = 0;
	for (int i = 0; !e && i < nd->nc; i++) {
		const struct cmd *cm = &nd->c[i];
		int na = 0;
		for (; !e && na < cm->nargs; na++)
			e = arg_val(c, root, &cm->a[na], &a[na]);
		if (!e && i > 0)
			a[na++] = cur;
		else if (i > 0)
			val_free(&cur);
		if (!e) {
			as_json = cm->fn == F_JSON;
			e = apply(c, cm->fn, a, na, &cur);
		}
		for (int k = 0; k < na; k++)
			val_free(&a[k]);
	}
	if (e)
		return e;
	if (as_json)
		print_json(c, &cur);
	else if (cur.k == V_STR)
		fputs(cur.s, c->out);
	else if (cur.k == V_INT)
		fprintf(c->out, "%" PRId64, cur.n);
	else
		print_go(c, cur.idx, &cur);
	val_free(&cur);
	return 0;
}

int fmt_render(const struct fmt *f, const struct json *j, int idx, char **out, size_t *len, char *why, size_t cap)
{
	char *buf = NULL;
	size_t n = 0;
	struct ctx c = { .j = j, .out = open_memstream(&buf, &n), .why = why, .cap = cap };
	if (!c.out)
		return -ENOMEM;
	int e = 0;
	for (size_t i = 0; !e && i < f->nn; i++)
		e = f->n[i].text ? (fputs(f->n[i].text, c.out), 0) : run_node(&c, idx, &f->n[i]);
	fclose(c.out);
	if (e) {
		free(buf);
		return e;
	}
	char *all = realloc(*out, *len + n + 1);
	if (!all) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(all + *len, buf, n + 1);
	*out = all;
	*len += n;
	free(buf);
	return 0;
}

/* ---- tables -------------------------------------------------------------------- */

/* docker's column name of a ps field; else the field's name in capitals. */
static void header_of(const char *path, FILE *m)
{
	static const struct { const char *field, *head; } heads[] = {
		{ "ID", "CONTAINER ID" }, { "Image", "IMAGE" }, { "Command", "COMMAND" },
		{ "CreatedAt", "CREATED AT" }, { "RunningFor", "CREATED" }, { "Ports", "PORTS" },
		{ "State", "STATE" }, { "Status", "STATUS" }, { "Size", "SIZE" }, { "Names", "NAMES" },
		{ "Labels", "LABELS" }, { "Mounts", "MOUNTS" }, { "Networks", "NETWORKS" },
		{ "LocalVolumes", "LOCAL VOLUMES" },
	};
	const char *last = strrchr(path, '.');
	last = last ? last + 1 : path;
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
		if (!strcmp(heads[i].field, last)) {
			fputs(heads[i].head, m);
			return;
		}
	for (; *last; last++)
		fputc(toupper((unsigned char)*last), m);
}

int fmt_header(const struct fmt *f, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < f->nn; i++) {
		const struct node *nd = &f->n[i];
		const char *path = "";
		if (nd->text) {
			fputs(nd->text, m);
			continue;
		}
		for (int k = 0; k < nd->nc && !*path; k++)
			for (int a = 0; a < nd->c[k].nargs && !*path; a++)
				if (nd->c[k].a[a].k == A_PATH)
					path = nd->c[k].a[a].s;
		header_of(path, m);
	}
	fclose(m);
	*out = buf;
	*len = n;
	return buf ? 0 : -ENOMEM;
}

/* Cells of one line: starts and widths (bytes of UTF-8 counted as one). */
static size_t width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

void fmt_align(const char *text, size_t len, char **out, size_t *outlen)
{
	size_t cols[64] = { 0 };
	FILE *m = open_memstream(out, outlen);
	if (!m)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (const char *p = text, *end = text + len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			size_t col = 0;
			for (const char *cell = p; cell <= le; col++) {
				const char *tab = memchr(cell, '\t', (size_t)(le - cell));
				size_t n = (size_t)((tab ? tab : le) - cell), w = width(cell, n);
				if (pass == 0 && tab && col < 64 && w + 3 > cols[col])
					cols[col] = w + 3 < 10 ? 10 : w + 3;
				if (pass == 1) {
					fwrite(cell, 1, n, m);
					for (size_t k = w; tab && col < 64 && k < cols[col]; k++)
						fputc(' ', m);
				}
				if (!tab)
					break;
				cell = tab + 1;
			}
			if (pass == 1 && nl)
				fputc('\n', m);
			p = le + 1;
		}
	}
	fclose(m);
}
