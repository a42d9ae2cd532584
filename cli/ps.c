/*
 * ps.c: `qpod ps [-a] [-q] [--format json]`: the detached VMs, as docker
 * ps shows containers: id, image, command, created, status (Up ...,
 * Exited (N) ... ago, Restarting (N), or "monitor lost" when the monitor
 * died without saying so), ports, name. Running ones only, unless -a; -q:
 * only their ids (12 hex digits, a prefix every command takes), no header.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

struct ps {
	bool all, json, quiet;
	struct jw w;
	int n;
};

static void ago(int64_t ns, char *out, size_t cap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t s = ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - ns) / 1000000000;
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, cap, "%lld seconds", (long long)s);
	else if (s < 3600)
		snprintf(out, cap, "%lld minutes", (long long)s / 60);
	else if (s < 86400)
		snprintf(out, cap, "%lld hours", (long long)s / 3600);
	else
		snprintf(out, cap, "%lld days", (long long)s / 86400);
}

static void status_text(const struct vmstate *st, char *out, size_t cap)
{
	char t[32];
	if (!strcmp(st->status, "running")) {
		ago(st->started, t, sizeof t);
		snprintf(out, cap, "Up %s", t);
	} else if (!strcmp(st->status, "exited")) {
		ago(st->finished ? st->finished : st->created, t, sizeof t);
		if (st->monitor_lost)
			snprintf(out, cap, "Exited (monitor lost)");
		else
			snprintf(out, cap, "Exited (%d) %s ago", st->exit_code, t);
	} else if (!strcmp(st->status, "restarting")) {
		snprintf(out, cap, "Restarting (%d)", st->exit_code);
	} else {
		snprintf(out, cap, "%c%s", st->status[0] - 32, st->status + 1);
	}
}

static int row(void *ctx, const char *dir, const struct vmstate *st)
{
	struct ps *p = ctx;
	if (!p->all && !strcmp(st->status, "exited"))
		return 0;
	p->n++;
	if (p->json)
		return state_json(&p->w, st);
	if (p->quiet) {
		printf("%.12s\n", st->id);
		return 0;
	}
	char status[64], created[32];
	status_text(st, status, sizeof status);
	ago(st->created, created, sizeof created);
	printf("%-12.12s  %-20.20s  %-22.22s  %-14s  %-24s  %-28s  %s\n", st->id, st->image, st->command,
	       strcat(created, " ago"), status, st->ports, st->name);
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' }, { "format", required_argument, NULL, 'F' },
					    { "quiet", no_argument, NULL, 'q' }, { 0 } };
	struct ps p = { 0 };
	struct qerr err;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+aq", lo, NULL)) != -1) {
		if (c == 'a')
			p.all = true;
		else if (c == 'q')
			p.quiet = true;
		else if (c == 'F' && !strcmp(optarg, "json"))
			p.json = true;
		else {
			fprintf(stderr, "qpod: usage: qpod ps [-a] [-q] [--format json]\n");
			return EXIT_QPOD;
		}
	}
	if (p.json) {
		jw_init(&p.w);
		jw_arr(&p.w);
	} else if (!p.quiet) {
		printf("%-12s  %-20s  %-22s  %-14s  %-24s  %-28s  %s\n", "VM ID", "IMAGE", "COMMAND", "CREATED",
		       "STATUS", "PORTS", "NAMES");
	}
	int e = state_each(row, &p, &err);
	if (p.json) {
		const char *json;
		size_t len;
		jw_end(&p.w);
		if (jw_done(&p.w, &json, &len) == 0)
			printf("%.*s\n", (int)len, json);
		jw_free(&p.w);
	}
	if (e) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return EXIT_QPOD;
	}
	return 0;
}
