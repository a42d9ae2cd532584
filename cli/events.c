/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.c: `qpod events [--since T] [--until T] [-f|--filter KEY=VALUE]
 * [--format json|TEMPLATE]`: what happened to the VMs, as docker events
 * reports it (start, die, kill, stop, restart, pause, unpause,
 * health_status: healthy ...), from each VM's ROOT/ID/events (the monitor
 * writes them, one JSON object a line). Without --until it goes on, as
 * docker's does, printing new ones until interrupted; without --since it
 * starts from now. Filters: container (a name or id), event (an action;
 * "health_status" matches every health status), type. The default line is
 * docker's: TIME container ACTION ID (image=..., name=...).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include "when.h"

#define MAX_FILTERS 16
#define MAX_VMS 1024

struct ev {
	int64_t since, until;
	const char *filters[MAX_FILTERS];
	int nfilters;
	struct fmt *f;
	struct { char id[65]; off_t off; } seen[MAX_VMS];
	int nseen;
};

static bool field_is(const struct json *j, const char *path, const char *want, bool prefix)
{
	int idx = 0;
	char key[32];
	for (const char *p = path; idx >= 0 && *p;) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof key, "%.*s", (int)n, p);
		idx = json_get(j, idx, key);
		p += n + (p[n] == '.');
	}
	char v[300];
	if (json_str(j, idx, v, sizeof v) < 0)
		return false;
	return prefix ? !strncmp(v, want, strlen(want)) : !strcmp(v, want);
}

static bool wanted(const struct ev *e, const struct json *j)
{
	static const char *const keys[] = { "container", "event", "type" };
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		bool any = false, hit = false;
		size_t n = strlen(keys[k]);
		for (int i = 0; i < e->nfilters; i++) {
			const char *f = e->filters[i], *v = f + n + 1;
			if (strncmp(f, keys[k], n) || f[n] != '=')
				continue;
			any = true;
			if (k == 0)
				hit |= field_is(j, "Actor.Attributes.name", v, false) || field_is(j, "id", v, true);
			else if (k == 1)
				hit |= field_is(j, "Action", v, false) ||
				       (!strcmp(v, "health_status") && field_is(j, "Action", "health_status: ", true));
			else
				hit |= field_is(j, "Type", v, false);
		}
		if (any && !hit)
			return false;
	}
	return true;
}

static void show(struct ev *e, const char *line, size_t len)
{
	struct json j;
	int64_t t;
	char *out = NULL, why[256];
	size_t n = 0;
	if (json_parse_alloc(&j, line, len) < 0 || json_type(&j, 0) != JSON_OBJECT ||
	    json_int(&j, json_get(&j, 0, "timeNano"), &t) < 0 || (e->since && t < e->since) ||
	    (e->until && t > e->until) || !wanted(e, &j)) {
		if (j.t)
			json_free(&j);
		return;
	}
	if (e->f && fmt_render(e->f, &j, 0, &out, &n, why, sizeof why) == 0) {
		printf("%s\n", out);
	} else if (!e->f) {
		char ts[64], act[128], id[80], img[600], name[80];
		time_t s = (time_t)(t / 1000000000);
		struct tm tm;
		localtime_r(&s, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		json_str(&j, json_get(&j, 0, "Action"), act, sizeof act);
		json_str(&j, json_get(&j, 0, "id"), id, sizeof id);
		int attrs = json_get(&j, json_get(&j, 0, "Actor"), "Attributes");
		json_str(&j, json_get(&j, attrs, "image"), img, sizeof img);
		json_str(&j, json_get(&j, attrs, "name"), name, sizeof name);
		printf("%s.%09lld container %s %s (image=%s, name=%s)\n", ts, (long long)(t % 1000000000), act, id, img, name);
	}
	fflush(stdout);
	free(out);
	json_free(&j);
}

/* The new lines of one VM's events file. */
static void read_new(struct ev *e, const char *root, const char *id)
{
	char path[4200], *line = NULL;
	size_t cap = 0;
	int k;
	for (k = 0; k < e->nseen && strcmp(e->seen[k].id, id); k++)
		;
	if (k == e->nseen) {
		if (k == MAX_VMS)
			return;
		snprintf(e->seen[e->nseen].id, sizeof e->seen[0].id, "%s", id);
		e->seen[e->nseen++].off = 0;
	}
	snprintf(path, sizeof path, "%s/%s/events", root, id);
	FILE *fp = fopen(path, "re");
	if (!fp || fseeko(fp, e->seen[k].off, SEEK_SET) < 0) {
		if (fp)
			fclose(fp);
		return;
	}
	for (ssize_t n; (n = getline(&line, &cap, fp)) > 0 && line[n - 1] == '\n';) {
		e->seen[k].off += n;
		show(e, line, (size_t)n - 1);
	}
	free(line);
	fclose(fp);
}

static void sweep(struct ev *e, const char *root)
{
	DIR *d = opendir(root);
	for (struct dirent *de; d && (de = readdir(d));)
		if (strlen(de->d_name) == 64 && strspn(de->d_name, "0123456789abcdef") == 64)
			read_new(e, root, de->d_name);
	if (d)
		closedir(d);
}

int cmd_events(int argc, char **argv)
{
	static const struct option lo[] = { { "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
					    { "filter", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
					    { 0 } };
	static struct ev e;
	char root[4096], why[256];
	struct qerr err;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:", lo, NULL)) != -1) {
		const char *v = optarg && *optarg == '=' ? optarg + 1 : optarg;
		int64_t *t = c == 'S' ? &e.since : &e.until;
		if ((c == 'S' || c == 'U') && when_parse(v, when_now(), t) == 0)
			continue;
		if (c == 'f' && e.nfilters < MAX_FILTERS && (!strncmp(v, "container=", 10) || !strncmp(v, "event=", 6) ||
							     !strncmp(v, "type=", 5))) {
			e.filters[e.nfilters++] = v;
			continue;
		}
		if (c == 'F' && !e.f && (e.f = fmt_compile(!strcmp(v, "json") ? "{{json .}}" : v, why, sizeof why)))
			continue;
		fprintf(stderr, "qpod: %s: usage: qpod events [--since T] [--until T] [--filter container=|event=|type=] "
			"[--format json|TEMPLATE]\n", c == 'F' ? why : optarg ? optarg : argv[optind - 1]);
		return EXIT_QPOD;
	}
	if (state_root(root, sizeof root, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return EXIT_QPOD;
	}
	if (!e.since)
		e.since = when_now();
	for (;;) {
		sweep(&e, root);
		if (e.until && when_now() > e.until)
			break;
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	}
	fmt_free(e.f);
	return 0;
}
