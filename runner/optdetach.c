/* SPDX-License-Identifier: Apache-2.0 */
/*
 * optdetach.c: the values of the run flags of a VM that others look at and
 * keep running, with docker's meaning (podman's for --sdnotify): -l's
 * labels (Config.Labels, over the image's), the --health-* flags (each
 * over its field of the image's HEALTHCHECK; --no-healthcheck turns the
 * image's off), --attach's streams, --sdnotify's moment for READY=1; their
 * spellings and help are rows of flags.c. And health_config(), the check a
 * VM runs: the image's, the flags over it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner.h"
#include "vec.h"
#include "when.h"

int opt_add_label(struct opts *o, const char *kv)
{
	if (!*kv || *kv == '=')
		return opt_bad("--label %s: expected KEY=VALUE", kv);
	if (o->nlabels >= 256 || vec_grow(&o->labels, o->nlabels, sizeof *o->labels) < 0)
		return opt_bad("--label %s: too many labels", kv);
	o->labels[o->nlabels++] = (char *)kv;
	return 0;
}

/* One of the --health-* flags: which is its name after "--health-". */
int opt_health(struct opts *o, const char *which, const char *v)
{
	struct healthcfg *h = &o->health;
	int64_t ns;
	if (!strcmp(which, "cmd")) {
		free(h->test);
		if (!(h->test = calloc(3, sizeof *h->test)))
			return -ENOMEM;
		h->test[0] = "CMD-SHELL";
		h->test[1] = (char *)v;
		return 0;
	}
	if (!strcmp(which, "retries")) {
		double d;
		if (opt_number("--health-retries", v, 0, 1000000, &d))
			return -EINVAL;
		h->retries = (int)d;
		return 0;
	}
	if (when_duration(v, &ns) < 0 || ns < 0 || (ns > 0 && ns < 1000000)) {
		fprintf(stderr, "qpod: --health-%s %s: expected a duration of at least 1ms, or 0 (30s, 1m30s) "
			"(see --help)\n", which, v);
		return -EINVAL;
	}
	int64_t *f = !strcmp(which, "interval") ? &h->interval : !strcmp(which, "timeout") ? &h->timeout :
		     !strcmp(which, "start-period") ? &h->start_period : &h->start_interval;
	*f = ns;
	return 0;
}

int opt_attach(struct opts *o, const char *v)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(v, names[i])) {
			o->attach |= 1 << i;
			return 0;
		}
	return opt_bad("--attach %s: valid streams are STDIN, STDOUT and STDERR", v);
}

int opt_sdnotify(struct opts *o, const char *v)
{
	if (!strcmp(v, "container"))
		return opt_bad("--sdnotify %s: the guest has no way to the host's notify socket; use conmon or healthy", v);
	o->sdnotify = (char *)v;
	return opt_one_of("--sdnotify", v, "conmon", "healthy", "ignore");
}

/* What the health flags say together; 0 or -EINVAL (said). */
int opt_health_check(const struct opts *o)
{
	const struct healthcfg *h = &o->health;
	bool any = h->test || h->interval >= 0 || h->timeout >= 0 || h->start_period >= 0 || h->start_interval >= 0 ||
		   h->retries >= 0;
	if (o->no_healthcheck && any)
		return opt_bad("%s", "--no-healthcheck conflicts with --health-* options");
	return 0;
}

static int64_t pick(int64_t flag, int64_t image, int64_t dflt)
{
	return flag > 0 ? flag : image > 0 ? image : dflt;
}

/* The check this VM runs (docker's defaults filled in): 1, or 0 for none. */
int health_config(const struct opts *o, const struct runcfg *img, struct healthcfg *out)
{
	const struct healthcfg *f = &o->health, *i = &img->health;
	memset(out, 0, sizeof *out);
	if (o->no_healthcheck)
		return 0;
	out->test = f->test ? f->test : i->test;
	if (!out->test || !out->test[0] || !strcmp(out->test[0], "NONE") ||
	    (strcmp(out->test[0], "CMD") && strcmp(out->test[0], "CMD-SHELL")) || !out->test[1])
		return out->test = NULL, 0;
	out->interval = pick(f->interval, i->interval, 30000000000LL);
	out->timeout = pick(f->timeout, i->timeout, 30000000000LL);
	out->start_period = pick(f->start_period, i->start_period, 0);
	out->start_interval = pick(f->start_interval, i->start_interval, 5000000000LL);
	out->retries = f->retries > 0 ? f->retries : i->retries > 0 ? i->retries : 3;
	return 1;
}
