/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logs.c: `qpod logs [-f] [-t] [-n|--tail N] [--since T] [--until T] NAME`:
 * a detached VM's command output from its log (runner/session/log.c), stdout to
 * stdout and stderr to stderr, as docker logs does, its flags before or
 * after NAME; -t puts an RFC 3339 time before each line; --tail N shows the
 * last N lines only (all, or a negative N: every line); --since and --until
 * keep the lines written in that time (a date and time, unix seconds, or a
 * duration back from now: 10m; lib/when.c); -f goes on as the log grows
 * (and across its rotation) until the VM's monitor has ended, or until
 * --until has passed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "when.h"

struct out {
	bool stamps;
	uint64_t skip;         /* lines to leave out (--tail) */
	uint64_t lines;        /* counting pass: lines seen */
	bool counting;
	bool at_start[3];      /* per stream: the next byte starts a line */
	int64_t since, until;  /* ns; 0: no bound */
};

static void stamp(int fd, uint64_t ns)
{
	char t[64];
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(t + n, sizeof t - n, ".%09lluZ ", (unsigned long long)(ns % 1000000000u));
	io_write_all(fd, t, n);
}

static int record(void *ctx, const struct log_rec *r)
{
	struct out *o = ctx;
	int fd = r->stream == 1 ? 1 : 2;
	if ((o->since && (int64_t)r->time_ns < o->since) || (o->until && (int64_t)r->time_ns > o->until))
		return 0;
	const uint8_t *p = r->data, *end = r->data + r->len;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *stop = nl ? nl + 1 : end;
		bool starts = o->at_start[r->stream];
		o->at_start[r->stream] = nl != NULL;
		if (o->counting) {
			o->lines += nl != NULL;
		} else if (o->skip) {
			o->skip -= nl != NULL;
		} else {
			if (starts && o->stamps)
				stamp(fd, r->time_ns);
			if (io_write_all(fd, p, (size_t)(stop - p)) < 0)
				return -EPIPE;
		}
		p = stop;
	}
	return 0;
}

static void reset_lines(struct out *o)
{
	o->at_start[1] = o->at_start[2] = true;
}

/* -f: follow NAME's log while its monitor lives (and a last read after). */
static int follow(const char *path, const char *dir, struct out *o)
{
	char old[4200];
	struct stat st;
	uint64_t off = 0, off1 = 0;
	snprintf(old, sizeof old, "%s.1", path);
	ino_t ino = stat(path, &st) == 0 ? st.st_ino : 0;
	int e0 = log_read_file(old, &off1, record, o); /* what is there already, oldest first */
	if (e0)
		return e0;
	for (;;) {
		bool alive = state_alive(dir);
		if (stat(path, &st) == 0 && st.st_ino != ino) {
			/* Rotated: the rest of the file we read is NAME.1 now. */
			int e = log_read_file(old, &off, record, o);
			if (e)
				return e;
			ino = st.st_ino;
			off = 0;
		}
		int e = log_read_file(path, &off, record, o);
		if (e)
			return e;
		if (!alive || (o->until && when_now() > o->until))
			return 0;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
}

static int logs_usage(void)
{
	fprintf(stderr, "qpod: usage: qpod logs [-f] [-t] [-n|--tail N] [--since T] [--until T] NAME\n");
	return EXIT_QPOD;
}

static int when_arg(const char *flag, const char *v, int64_t *ns)
{
	if (when_parse(v, when_now(), ns) == 0)
		return 0;
	fprintf(stderr, "qpod: %s %s: expected a date and time, unix seconds or a duration (10m)\n", flag, v);
	return -EINVAL;
}

int cmd_logs(int argc, char **argv)
{
	static const struct option lo[] = { { "follow", no_argument, NULL, 'f' }, { "timestamps", no_argument, NULL, 't' },
					    { "tail", required_argument, NULL, 'n' }, { "since", required_argument, NULL, 'S' },
					    { "until", required_argument, NULL, 'U' }, { 0 } };
	struct out o = { 0 };
	bool f = false;
	long long tail = -1;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ftn:", lo, NULL)) != -1) {
		const char *v = optarg && *optarg == '=' ? optarg + 1 : optarg;
		char *end;
		if (c == 'f')
			f = true;
		else if (c == 't')
			o.stamps = true;
		else if (c == 'n' && !strcmp(v, "all"))
			tail = -1;
		else if (c == 'n' && (tail = strtoll(v, &end, 10), *v && !*end))
			tail = tail < 0 ? -1 : tail; /* docker: a negative count is every line */
		else if (c == 'S' || c == 'U') {
			if (when_arg(c == 'S' ? "--since" : "--until", v, c == 'S' ? &o.since : &o.until))
				return EXIT_QPOD;
		} else {
			return logs_usage();
		}
	}
	struct vm_ref v;
	if (optind != argc - 1)
		return logs_usage();
	int found = client_find(argv[optind], &v);
	if (found)
		return found == -ENOENT ? CLIENT_REFUSED : EXIT_QPOD;
	char path[4200];
	snprintf(path, sizeof path, "%s/log", v.dir);
	int e = 0;
	if (tail >= 0) {
		o.counting = true;
		reset_lines(&o);
		e = log_read(path, record, &o);
		o.counting = false;
		o.skip = o.lines > (uint64_t)tail ? o.lines - (uint64_t)tail : 0;
	}
	reset_lines(&o);
	if (!e)
		e = f ? follow(path, v.dir, &o) : 0;
	if (!f && !e)
		e = log_read(path, record, &o);
	if (e && e != -EPIPE) {
		fprintf(stderr, "qpod: %s: the log: %s\n", v.st.name, strerror(-e));
		return EXIT_QPOD;
	}
	return 0;
}
