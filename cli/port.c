/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port.c: two of docker's commands that read a running VM:
 *   qpod port NAME [PORT[/PROTO]]   its published ports, "80/tcp -> 0.0.0.0:8080"
 *                                   (with PORT: "0.0.0.0:8080"; none: exit 1)
 *   qpod top NAME [-o FIELDS]       its container's processes, as the guest
 *                                   lists them: ps -ef's columns (UID PID PPID C
 *                                   STIME TTY TIME CMD), PIDs as the container
 *                                   sees them; -o picks ps's fields (pid, ppid,
 *                                   uid, user, comm, args, etime, time, tty,
 *                                   stime, c, pcpu); -e, -f, -ef change nothing
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "vmview.h"

int cmd_port(int argc, char **argv)
{
	struct vm_ref r;
	struct vmview v;
	struct port ps[256];
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "qpod: usage: qpod port NAME [PORT[/PROTO]]\n");
		return EXIT_QPOD;
	}
	int e = client_find(argv[1], &r);
	if (e)
		return e == -ENOENT ? CLIENT_REFUSED : EXIT_QPOD;
	vmview_load(&v, r.dir, &r.st);
	size_t n = vmview_running(&r.st) ? vmview_port_list(&v, ps, 256) : 0, shown = 0;
	char want[32] = "";
	if (argc == 3)
		snprintf(want, sizeof want, "%s%s", argv[2], strchr(argv[2], '/') ? "" : "/tcp");
	for (size_t i = 0; i < n; i++) {
		char key[32];
		snprintf(key, sizeof key, "%u/%s", ps[i].guest, ps[i].proto);
		if (*want && strcmp(want, key))
			continue;
		if (*want)
			printf("%s:%u\n", ps[i].ip, ps[i].host);
		else
			printf("%s -> %s:%u\n", key, ps[i].ip, ps[i].host);
		shown++;
	}
	vmview_free(&v);
	if (*want && !shown) {
		fprintf(stderr, "qpod: No public port '%s' published for %s\n", want, argv[1]);
		return CLIENT_REFUSED;
	}
	return 0;
}

/* ps -o's field names: the guest's column, and the header ps gives it. */
static const struct { const char *field, *column, *head; } fields[] = {
	{ "pid", "PID", "PID" }, { "ppid", "PPID", "PPID" }, { "uid", "UID", "UID" }, { "user", "USER", "USER" },
	{ "comm", "COMMAND", "COMMAND" }, { "args", "CMD", "COMMAND" }, { "cmd", "CMD", "CMD" },
	{ "command", "CMD", "COMMAND" }, { "etime", "ELAPSED", "ELAPSED" }, { "time", "TIME", "TIME" },
	{ "tty", "TTY", "TT" }, { "stime", "STIME", "STIME" }, { "c", "C", "C" }, { "pcpu", "%CPU", "%CPU" },
};

/* The columns to print: ps -ef's, or those -o names (comma or space apart). */
static int columns(int argc, char **argv, const char *pick[16], const char *head[16])
{
	static const char *const ef[] = { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" };
	int n = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-e") || !strcmp(a, "-f") || !strcmp(a, "-ef") || !strcmp(a, "-A"))
			continue;
		if ((strcmp(a, "-o") && strcmp(a, "-eo")) || i + 1 == argc) {
			fprintf(stderr, "qpod: top: %s: only -o FIELDS (and -e, -f) are supported\n", a);
			return -1;
		}
		char list[256];
		snprintf(list, sizeof list, "%s", argv[++i]);
		for (char *sp, *f = strtok_r(list, ", ", &sp); f && n < 16; f = strtok_r(NULL, ", ", &sp)) {
			size_t k;
			for (k = 0; k < sizeof fields / sizeof *fields && strcmp(fields[k].field, f); k++)
				;
			if (k == sizeof fields / sizeof *fields) {
				fprintf(stderr, "qpod: top: -o %s: not a field qpod lists\n", f);
				return -1;
			}
			pick[n] = fields[k].column;
			head[n++] = fields[k].head;
		}
	}
	if (!n)
		for (n = 0; n < 8; n++)
			pick[n] = head[n] = ef[n];
	return n;
}

static void table(const struct json *j, int ncol, const char *pick[16], const char *head[16])
{
	int titles = json_get(j, 0, "Titles"), rows = json_get(j, 0, "Processes"), idx[16];
	char *text = NULL, *al = NULL;
	size_t len = 0, al_len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return;
	for (int c = 0; c < ncol; c++) {
		idx[c] = -1;
		for (uint32_t t = 0; t < j->t[titles].size; t++)
			if (json_eq(j, json_at(j, titles, t), pick[c]))
				idx[c] = (int)t;
		fprintf(m, "%s%s", c ? "\t" : "", head[c]);
	}
	fputc('\n', m);
	uint32_t k;
	int it;
	JSON_EACH(j, rows, it, k) {
		for (int c = 0; c < ncol; c++) {
			char cell[1024] = "";
			if (idx[c] >= 0 && json_str(j, json_at(j, it, (uint32_t)idx[c]), cell, sizeof cell) < 0)
				cell[0] = '\0';
			fprintf(m, "%s%s", c ? "\t" : "", cell);
		}
		fputc('\n', m);
	}
	fclose(m);
	fmt_align(text, len, &al, &al_len);
	fwrite(al, 1, al_len, stdout);
	free(text);
	free(al);
}

int cmd_top(int argc, char **argv)
{
	const char *pick[16], *head[16];
	struct vm_ref v;
	struct ctl_req req = { .op = CTL_TOP };
	struct ctl_rep r;
	struct json j;
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "qpod: usage: qpod top NAME [-o FIELDS]\n");
		return EXIT_QPOD;
	}
	int ncol = columns(argc, argv, pick, head);
	if (ncol < 0)
		return EXIT_QPOD;
	int e = client_find(argv[1], &v);
	if (e)
		return e == -ENOENT ? CLIENT_REFUSED : EXIT_QPOD;
	int k = client_ask(&v, &req, 30000, &r);
	if (k)
		return k;
	if (r.ev != CEV_TOP || !r.top || json_parse_alloc(&j, r.top, strlen(r.top)) < 0) {
		fprintf(stderr, "qpod: %s: the VM is not running\n", argv[1]);
		return CLIENT_REFUSED;
	}
	table(&j, ncol, pick, head);
	json_free(&j);
	return 0;
}
