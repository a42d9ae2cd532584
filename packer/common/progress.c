/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progress.c: one self-rewriting line on stderr while an unpack runs:
 *
 *   qpod: unpacking busybox.tar: layer 3/14, 45.2/120.0 MB
 *
 * Only when asked (the runner asks when stderr is a terminal), only after
 * the unpack has run for 300 ms (a small image never shows it), at most 10
 * updates a second, and the line is erased when the unpack ends.
 */
#include <stdio.h>
#include <time.h>

#include "common/common.h"

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void progress_start(struct progress *p, bool on, const char *name, uint64_t total, size_t layers)
{
	*p = (struct progress){ .on = on, .name = name, .total = total, .layers = layers };
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void show(struct progress *p)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->start, &now) < 0.3 || (p->shown && since(&p->last, &now) < 0.1))
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\rqpod: unpacking %s: layer %zu/%zu, %.1f/%.1f MB\033[K", pq(p->name),
		p->layer + 1, p->layers, (double)p->done / 1e6, (double)p->total / 1e6);
	fflush(stderr);
}

void progress_add(struct progress *p, uint64_t n)
{
	p->done += n;
	if (p->on)
		show(p);
}

void progress_layer(struct progress *p, size_t i)
{
	p->layer = i;
	if (p->on)
		show(p);
}

void progress_end(struct progress *p)
{
	if (p->on && p->shown)
		fprintf(stderr, "\r\033[K");
	p->shown = false;
}
