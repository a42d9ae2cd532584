/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ps.c: `qpod ps [-a] [-q] [-n N|--last N] [-l] [--no-trunc]
 * [-f|--filter KEY=VALUE]... [--format table|json|TEMPLATE]`: the VMs as
 * docker ps lists containers, newest first: CONTAINER ID, IMAGE, COMMAND,
 * CREATED, STATUS ("Up 5 seconds (healthy)", "Exited (3) 2 minutes ago",
 * "Exited (monitor lost)" when the monitor died without saying so), PORTS
 * (while it runs), NAMES. Running ones only, unless -a, -n, -l or a status
 * filter. --format json prints each row as one JSON object a line (docker's
 * {{json .}}); a template is format.c's; -q prints the ids only.
 * Filters, as docker's: id (prefix), name (regular expression), label
 * (KEY or KEY=VALUE, all must match), status, exited, health, ancestor,
 * since and before (a VM); the same key twice matches either value.
 */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "vec.h"
#include "vmview.h"

#define MAX_FILTERS 32

struct ps {
	bool all, quiet, trunc;
	long last;
	struct fmt *f;
	const char *filters[MAX_FILTERS];
	int nfilters;
	struct vmview *rows;
	size_t n;
	int64_t since, before;   /* created times of since= and before= VMs; 0: none */
};

static const char *const table_default =
	"table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";

static bool is(const char *f, const char *key, const char **val)
{
	size_t n = strlen(key);
	if (strncmp(f, key, n) || f[n] != '=')
		return false;
	*val = f + n + 1;
	return true;
}

static bool label_has(const struct vmview *v, const char *want)
{
	int lb = vmview_get(v, "Config.Labels");
	size_t k = strcspn(want, "=");
	char key[256], val[1024];
	snprintf(key, sizeof key, "%.*s", (int)k, want);
	int i = json_type(&v->cj, lb) == JSON_OBJECT ? json_get(&v->cj, lb, key) : -1;
	if (i < 0)
		return false;
	return !want[k] || (json_str(&v->cj, i, val, sizeof val) >= 0 && !strcmp(val, want + k + 1));
}

static bool one_matches(const struct vmview *v, const char *key, const char *val)
{
	const struct vmstate *st = &v->st;
	if (!strcmp(key, "id"))
		return !strncmp(st->id, val, strlen(val));
	if (!strcmp(key, "name")) {
		regex_t re;
		bool m = regcomp(&re, val, REG_EXTENDED | REG_NOSUB) == 0 && regexec(&re, st->name, 0, NULL, 0) == 0;
		regfree(&re);
		return m;
	}
	if (!strcmp(key, "status"))
		return !strcmp(vmview_state(st), val);
	if (!strcmp(key, "exited"))
		return !strcmp(st->status, "exited") && st->exit_code == atoi(val);
	if (!strcmp(key, "health"))
		return !strcmp(*st->health ? st->health : "none", val);
	if (!strcmp(key, "ancestor"))
		return strstr(st->image, val) != NULL;
	return false;
}

/* Filters of one key: any of them; filters of different keys: all. Labels: all. */
static bool matches(const struct ps *p, const struct vmview *v)
{
	static const char *const keys[] = { "id", "name", "status", "exited", "health", "ancestor" };
	const char *val;
	if ((p->since && v->st.created <= p->since) || (p->before && v->st.created >= p->before))
		return false;
	for (int i = 0; i < p->nfilters; i++)
		if (is(p->filters[i], "label", &val) && !label_has(v, val))
			return false;
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		bool any = false, hit = false;
		for (int i = 0; i < p->nfilters; i++)
			if (is(p->filters[i], keys[k], &val)) {
				any = true;
				hit |= one_matches(v, keys[k], val);
			}
		if (any && !hit)
			return false;
	}
	return true;
}

static int collect(void *ctx, const char *dir, const struct vmstate *st)
{
	struct ps *p = ctx;
	if (vec_grow(&p->rows, p->n, sizeof *p->rows))
		return -1;
	vmview_load(&p->rows[p->n++], dir, st);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct vmview *x = a, *y = b;
	return x->st.created < y->st.created ? 1 : x->st.created > y->st.created ? -1 : 0;
}

/* A filter's key and value checked, since= and before= resolved: 0, or 1 (said). */
static int check_filter(struct ps *p, const char *f)
{
	static const char *const ok[] = { "id", "name", "label", "status", "exited", "health", "ancestor", "since", "before" };
	static const char *const states[] = { "created", "restarting", "running", "removing", "paused", "exited", "dead" };
	const char *val = NULL;
	size_t i;
	for (i = 0; i < sizeof ok / sizeof *ok && !is(f, ok[i], &val); i++)
		;
	bool good = i < sizeof ok / sizeof *ok;
	if (good && is(f, "status", &val)) {
		good = false;
		for (size_t s = 0; s < sizeof states / sizeof *states; s++)
			good |= !strcmp(val, states[s]);
		p->all = true; /* docker: a status filter looks at every VM */
	}
	if (good && is(f, "health", &val))
		good = !strcmp(val, "starting") || !strcmp(val, "healthy") || !strcmp(val, "unhealthy") || !strcmp(val, "none");
	if (good && (is(f, "since", &val) || is(f, "before", &val))) {
		struct vm_ref v;
		if (client_find(val, &v) < 0)
			return CLIENT_REFUSED;
		*(f[0] == 's' ? &p->since : &p->before) = v.st.created;
	}
	if (!good) {
		fprintf(stderr, "qpod: invalid filter '%s'\n", f);
		return CLIENT_REFUSED;
	}
	return 0;
}

static int parse(int argc, char **argv, struct ps *p)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' }, { "format", required_argument, NULL, 'F' },
					    { "quiet", no_argument, NULL, 'q' }, { "filter", required_argument, NULL, 'f' },
					    { "no-trunc", no_argument, NULL, 'T' }, { "last", required_argument, NULL, 'n' },
					    { "latest", no_argument, NULL, 'l' }, { 0 } };
	char why[256], *end;
	int c, e;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "aqf:n:l", lo, NULL)) != -1) {
		const char *v = optarg && *optarg == '=' ? optarg + 1 : optarg;
		if (c == 'a')
			p->all = true;
		else if (c == 'q')
			p->quiet = true;
		else if (c == 'T')
			p->trunc = false;
		else if (c == 'l')
			p->last = 1;
		else if (c == 'n' && (p->last = strtol(v, &end, 10), !*end && *v))
			continue;
		else if (c == 'f' && p->nfilters < MAX_FILTERS) {
			if ((e = check_filter(p, v)))
				return e;
			p->filters[p->nfilters++] = v;
		} else if (c == 'F' && !p->f) {
			const char *t = !strcmp(v, "json") ? "{{json .}}" : !strcmp(v, "table") ? table_default : v;
			if (!(p->f = fmt_compile(t, why, sizeof why))) {
				fprintf(stderr, "qpod: --format: %s\n", why);
				return EXIT_QPOD;
			}
		} else {
			fprintf(stderr, "qpod: usage: qpod ps [-a] [-q] [-n N] [-l] [--no-trunc] [--filter KEY=VALUE] "
				"[--format table|json|TEMPLATE]\n");
			return EXIT_QPOD;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qpod: ps takes no arguments (see --filter)\n");
		return EXIT_QPOD;
	}
	if (!p->f && !(p->f = fmt_compile(table_default, why, sizeof why)))
		return EXIT_QPOD;
	if (p->last > 0)
		p->all = true;
	return 0;
}

static int add_nl(char **out, size_t *len)
{
	char *p = realloc(*out, *len + 2);
	if (!p)
		return EXIT_QPOD;
	p[(*len)++] = '\n';
	p[*len] = '\0';
	*out = p;
	return 0;
}

/* The rows through the template; a table gets its header and columns. */
static int print(struct ps *p)
{
	char *out = NULL, why[256];
	size_t len = 0;
	int rc = 0;
	if (fmt_is_table(p->f) && fmt_header(p->f, &out, &len) == 0)
		rc = add_nl(&out, &len);
	for (size_t i = 0; i < p->n && !rc; i++) {
		struct jw w;
		struct json j;
		const char *json;
		size_t n;
		jw_init(&w);
		vmview_psrow(&w, &p->rows[i], p->trunc);
		if (jw_done(&w, &json, &n) < 0 || json_parse_alloc(&j, json, n) < 0)
			rc = EXIT_QPOD;
		else if (fmt_render(p->f, &j, 0, &out, &len, why, sizeof why) < 0)
			rc = CLIENT_REFUSED, fprintf(stderr, "qpod: --format: %s\n", why);
		else
			rc = add_nl(&out, &len);
		if (j.t)
			json_free(&j);
		jw_free(&w);
	}
	if (!rc && out && fmt_is_table(p->f)) {
		char *al = NULL;
		size_t al_len = 0;
		fmt_align(out, len, &al, &al_len);
		fwrite(al, 1, al_len, stdout);
		free(al);
	} else if (!rc && out) {
		fwrite(out, 1, len, stdout);
	}
	free(out);
	return rc;
}

int cmd_ps(int argc, char **argv)
{
	struct ps p = { .trunc = true };
	struct qerr err;
	int rc = parse(argc, argv, &p);
	if (!rc && state_each(collect, &p, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		rc = EXIT_QPOD;
	}
	if (!rc) {
		qsort(p.rows, p.n, sizeof *p.rows, newest_first);
		size_t k = 0;
		for (size_t i = 0; i < p.n; i++) {
			bool keep = (p.all || vmview_running(&p.rows[i].st) || !strcmp(p.rows[i].st.status, "restarting")) &&
				    matches(&p, &p.rows[i]) && (p.last <= 0 || (long)k < p.last);
			if (!keep) {
				vmview_free(&p.rows[i]);
				continue;
			}
			p.rows[k++] = p.rows[i];
		}
		p.n = k;
		for (size_t i = 0; p.quiet && i < p.n; i++)
			printf("%.*s\n", p.trunc ? 12 : 64, p.rows[i].st.id);
		if (!p.quiet)
			rc = print(&p);
	}
	for (size_t i = 0; i < p.n; i++)
		vmview_free(&p.rows[i]);
	free(p.rows);
	fmt_free(p.f);
	return rc;
}
