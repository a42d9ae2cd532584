/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restart.c: docker's restart policies for a detached VM's command:
 *   no               never (the default)
 *   on-failure[:N]   after a non-zero status, at most N times (0: no limit)
 *   always           whatever the status; unless-stopped the same here:
 *                    a stop is never undone (qpod stop; qpod kill with
 *                    SIGKILL or the stop signal: monctl.c has moby's rule)
 * The command runs again in the same VM (its writable layer survives, as
 * with docker restart); the delay grows as docker's does.
 */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

int restart_parse(const char *s, struct restart *r)
{
	*r = (struct restart){ RESTART_NO, 0 };
	if (!s || !strcmp(s, "no"))
		return 0;
	if (!strcmp(s, "always")) {
		r->policy = RESTART_ALWAYS;
		return 0;
	}
	if (!strcmp(s, "unless-stopped")) {
		r->policy = RESTART_UNLESS_STOPPED;
		return 0;
	}
	if (strncmp(s, "on-failure", 10))
		return -1;
	r->policy = RESTART_ON_FAILURE;
	if (!s[10])
		return 0;
	char *end;
	long n = strtol(s + 11, &end, 10);
	if (s[10] != ':' || !s[11] || *end || n < 0 || n > 1000000)
		return -1;
	r->max = (unsigned)n;
	return 0;
}

bool restart_wanted(const struct restart *r, int status, bool stopped, unsigned restarts)
{
	if (stopped || r->policy == RESTART_NO)
		return false;
	if (r->policy == RESTART_ON_FAILURE)
		return status != 0 && (!r->max || restarts < r->max);
	return true;
}

double restart_delay(unsigned n)
{
	double d = 0.1;
	for (unsigned i = 0; i < n && d < 60; i++)
		d *= 2;
	return d < 60 ? d : 60;
}
