/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runextra.c: the parts of an image's run config that a detached VM needs
 * beyond the command (config.c and the cache entry share them): docker's
 *   "Healthcheck": {"Test": ["CMD-SHELL", "cmd"] | ["CMD", arg...] | ["NONE"],
 *                   "Interval", "Timeout", "StartPeriod", "StartInterval": ns,
 *                   "Retries": N}
 *   "Labels": {"key": "value", ...}
 * Read with bounds (PK_MAX_LABELS labels, 64 test words); a field of the
 * wrong type is an error, not a guess. Written back under the same keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "json.h"
#include "packer.h"

#define PK_MAX_LABELS 256
#define PK_MAX_TEST   64

static int read_ns(const struct json *j, int obj, const char *key, int64_t *out)
{
	int i = json_get(j, obj, key);
	*out = 0;
	if (i < 0 || json_type(j, i) == JSON_NULL)
		return 0;
	return json_int(j, i, out) < 0 || *out < 0 ? -EINVAL : 0;
}

static int read_health(const struct json *j, int hc, struct healthcfg *h)
{
	int test = json_get(j, hc, "Test");
	int64_t retries = 0;
	if (json_type(j, test) == JSON_ARRAY) {
		if (j->t[test].size > PK_MAX_TEST || strv_from_json(j, test, &h->test) < 0)
			return -EINVAL;
	} else if (test >= 0 && json_type(j, test) != JSON_NULL) {
		return -EINVAL;
	}
	int r = json_get(j, hc, "Retries");
	if (r >= 0 && json_type(j, r) != JSON_NULL && (json_int(j, r, &retries) < 0 || retries < 0 || retries > 1000000))
		return -EINVAL;
	h->retries = (int)retries;
	if (read_ns(j, hc, "Interval", &h->interval) || read_ns(j, hc, "Timeout", &h->timeout) ||
	    read_ns(j, hc, "StartPeriod", &h->start_period) || read_ns(j, hc, "StartInterval", &h->start_interval))
		return -EINVAL;
	return 0;
}

/* "Labels": {"k": "v"} into "k=v" strings. */
static int read_labels(const struct json *j, int obj, char ***out)
{
	uint32_t n = j->t[obj].size, k;
	int it;
	if (n > PK_MAX_LABELS)
		return -E2BIG;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	JSON_EACH(j, obj, it, k) {
		char *key = json_strdup(j, it), *val = json_strdup(j, it + 1);
		if (!key || !val || !*key || asprintf(&v[k], "%s=%s", key, val) < 0)
			v[k] = NULL;
		free(key);
		free(val);
		if (!v[k]) {
			strv_free(v);
			return -EINVAL;
		}
	}
	*out = v;
	return 0;
}

int runcfg_extra_read(const struct json *j, int cfg, struct runcfg *c)
{
	int hc = json_get(j, cfg, "Healthcheck"), lb = json_get(j, cfg, "Labels");
	if (json_type(j, hc) == JSON_OBJECT && read_health(j, hc, &c->health) < 0)
		return -EINVAL;
	if (hc >= 0 && json_type(j, hc) != JSON_OBJECT && json_type(j, hc) != JSON_NULL)
		return -EINVAL;
	if (json_type(j, lb) == JSON_OBJECT)
		return read_labels(j, lb, &c->labels);
	return lb >= 0 && json_type(j, lb) != JSON_NULL ? -EINVAL : 0;
}

void runcfg_health_write(struct jw *w, const struct healthcfg *h)
{
	jw_obj(w);
	jw_kv_strv(w, "Test", h->test);
	jw_kv_int(w, "Interval", h->interval);   /* all of them, 0 too: templates name them */
	jw_kv_int(w, "Timeout", h->timeout);
	jw_kv_int(w, "StartPeriod", h->start_period);
	jw_kv_int(w, "StartInterval", h->start_interval);
	jw_kv_int(w, "Retries", h->retries);
	jw_end(w);
}

void runcfg_labels_write(struct jw *w, char *const *labels)
{
	jw_obj(w);
	for (char *const *l = labels; l && *l; l++) {
		size_t k = strcspn(*l, "=");
		jw_keyn(w, *l, k);
		jw_str(w, (*l)[k] ? *l + k + 1 : "");
	}
	jw_end(w);
}

void runcfg_extra_write(struct jw *w, const struct runcfg *c)
{
	if (c->health.test) {
		jw_key(w, "Healthcheck");
		runcfg_health_write(w, &c->health);
	}
	if (c->labels) {
		jw_key(w, "Labels");
		runcfg_labels_write(w, c->labels);
	}
}
