/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: the image config (docker "image JSON" / OCI "image config").
 *
 * Read: os, architecture, variant; config.{Entrypoint, Cmd, Env, WorkingDir,
 * User, StopSignal, Healthcheck, Labels} (the last two: common/runextra.c);
 * rootfs.diff_ids. A missing or null "config" leaves everything unset
 * (docker runs such an image only with a command). Entrypoint and Cmd may be
 * a string, as docker's strslice accepts. Anything else in the config is
 * ignored; a field of the wrong type is an error, not a guess.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"
#include "sig.h"

/* A string array (or a lone string when loose) into a NULL-terminated vector. */
static int read_strv(const struct json *j, int idx, bool loose, char ***out)
{
	*out = NULL;
	int t = json_type(j, idx);
	if (t < 0 || t == JSON_NULL)
		return 0;
	if (t == JSON_STRING && loose) {
		char **v = calloc(2, sizeof *v);
		if (!v || !(v[0] = json_strdup(j, idx))) {
			free(v);
			return -EINVAL;
		}
		*out = v;
		return 0;
	}
	return t == JSON_ARRAY ? strv_from_json(j, idx, out) : -EINVAL;
}

static int read_str(const struct json *j, int idx, char **out)
{
	*out = NULL;
	int t = json_type(j, idx);
	if (t < 0 || t == JSON_NULL)
		return 0;
	return (*out = json_strdup(j, idx)) ? 0 : -EINVAL;
}

static void read_small(const struct json *j, int idx, char *out, size_t cap)
{
	if (json_str(j, idx, out, cap) < 0)
		out[0] = '\0';
}

static int read_diff_ids(const struct json *j, int rootfs, struct imgcfg *c, struct qerr *err)
{
	int ids = json_get(j, rootfs, "diff_ids");
	if (json_type(j, ids) != JSON_ARRAY)
		return qerr_set(err, EINVAL, "rootfs.diff_ids is missing or not an array");
	uint32_t n = j->t[ids].size, k;
	if (n > PK_MAX_LAYERS)
		return qerr_set(err, E2BIG, "%u layers is more than the limit of %d", n, PK_MAX_LAYERS);
	c->diff_ids = calloc(n ? n : 1, sizeof *c->diff_ids);
	if (!c->diff_ids)
		return qerr_set(err, ENOMEM, "out of memory");
	int it;
	JSON_EACH(j, ids, it, k) {
		char d[80];
		int r = json_str(j, it, d, sizeof d) < 0 ? -EINVAL : digest_parse(d, c->diff_ids[k]);
		if (r < 0)
			return qerr_set(err, -r, "rootfs.diff_ids[%u] is not a sha256 digest", k);
	}
	c->n_diff_ids = n;
	c->has_rootfs = true;
	return 0;
}

static int read_run_config(const struct json *j, int cfg, struct runcfg *c, struct qerr *err)
{
	static const char *const vec[] = { "Entrypoint", "Cmd", "Env" };
	char ***dst[] = { &c->entrypoint, &c->cmd, &c->env };
	for (int i = 0; i < 3; i++)
		if (read_strv(j, json_get(j, cfg, vec[i]), i < 2, dst[i]) < 0)
			return qerr_set(err, EINVAL, "config.%s is not a list of strings", vec[i]);
	if (read_str(j, json_get(j, cfg, "WorkingDir"), &c->workdir) < 0)
		return qerr_set(err, EINVAL, "config.WorkingDir is not a string");
	if (read_str(j, json_get(j, cfg, "User"), &c->user) < 0)
		return qerr_set(err, EINVAL, "config.User is not a string");
	char sig[16];
	int ss = json_get(j, cfg, "StopSignal");
	if (ss >= 0 && json_type(j, ss) != JSON_NULL) {
		if (json_str(j, ss, sig, sizeof sig) < 0 || (c->stop_signal = sig_parse(sig)) < 0)
			return qerr_set(err, EINVAL, "config.StopSignal is not a signal name");
	}
	if (runcfg_extra_read(j, cfg, c) < 0)
		return qerr_set(err, EINVAL, "config.Healthcheck or config.Labels is not docker's shape");
	return 0;
}

int imgcfg_parse(const char *buf, size_t n, struct imgcfg *c, struct qerr *err)
{
	struct json j;
	*c = (struct imgcfg){ 0 };
	if (json_parse_alloc(&j, buf, n) < 0)
		return qerr_set(err, EINVAL, "not valid JSON");
	int r = -EINVAL;
	if (json_type(&j, 0) != JSON_OBJECT) {
		qerr_set(err, EINVAL, "not a JSON object");
		goto out;
	}
	read_small(&j, json_get(&j, 0, "os"), c->plat.os, sizeof c->plat.os);
	read_small(&j, json_get(&j, 0, "architecture"), c->plat.arch, sizeof c->plat.arch);
	read_small(&j, json_get(&j, 0, "variant"), c->plat.variant, sizeof c->plat.variant);
	int cfg = json_get(&j, 0, "config");
	if (json_type(&j, cfg) == JSON_OBJECT && (r = read_run_config(&j, cfg, &c->config, err)) < 0)
		goto out;
	int rootfs = json_get(&j, 0, "rootfs");
	r = json_type(&j, rootfs) == JSON_OBJECT ? read_diff_ids(&j, rootfs, c, err) : 0;
out:
	json_free(&j);
	if (r < 0)
		imgcfg_free(c);
	return r;
}

void runcfg_free(struct runcfg *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->workdir);
	free(c->user);
	strv_free(c->labels);
	strv_free(c->health.test);
	*c = (struct runcfg){ 0 };
}

void imgcfg_free(struct imgcfg *c)
{
	runcfg_free(&c->config);
	free(c->diff_ids);
	*c = (struct imgcfg){ 0 };
}

int pack_config_parse(const char *buf, size_t n, struct runcfg *out, struct qerr *err)
{
	struct imgcfg c = { 0 };
	int e = imgcfg_parse(buf, n, &c, err);
	if (!e) {
		*out = c.config;
		c.config = (struct runcfg){ 0 };
	}
	imgcfg_free(&c);
	return e;
}
